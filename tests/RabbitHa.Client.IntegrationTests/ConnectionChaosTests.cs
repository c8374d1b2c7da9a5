using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitHa.Testing;
using RabbitHa.Testing.Xunit;
using RabbitMQ.Client;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Client.IntegrationTests;

/// <summary>
/// The connection while the cluster breaks under it: its node killed, HAProxy down (at start-up and while
/// open, with and without fallbacks), a memory alarm. Each test puts the cluster back and waits until it is
/// healthy, so the next one starts from a whole cluster.
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", "Chaos")]
public sealed class ConnectionChaosTests(RabbitHaClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan HealthyTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(60);

    private IRabbitHaCluster Cluster => fixture.Cluster;

    [DockerFact]
    public async Task Connection_WhenItsNodeIsKilled_RecoversThroughHaProxyByItselfAndRedeclaresTopology()
    {
        var id = Guid.NewGuid().ToString("N");
        string exchange = "conn-kill-x-" + id, queue = "conn-kill-q-" + id;
        await using var services = BuildServices("conn-kill", topology: t => ConnectionProbe.AddRoutedQueue(t, exchange, queue));
        var connection = services.GetRequiredService<IRabbitHaConnection>();
        await connection.ConnectAsync();
        var node = await FindNodeAsync(connection);

        var clock = new Stopwatch();
        var timeline = new ConcurrentQueue<string>();
        var recovered = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Handlers run after the change, on the thread pool: what the loss became is in its arguments, not in State by then.
        connection.ConnectionLost += (_, e) => timeline.Enqueue(
            $"Lost:{(e.WillRecover ? RabbitHaConnectionState.Recovering : RabbitHaConnectionState.Disconnected)}");
        connection.RecoveryFailed += (_, _) => timeline.Enqueue($"RecoveryFailed:{connection.State}");
        connection.ConnectionRecovered += (_, _) =>
        {
            timeline.Enqueue($"Recovered:{connection.State}");
            recovered.TrySetResult(clock.Elapsed);
        };

        // Deleted behind the connection's back: only RabbitMQ.Client's topology recovery can bring it (and its
        // binding) back, since nothing in this test declares it again.
        var other = node % Cluster.NodeCount + 1;
        await using (var side = await new ConnectionFactory { Uri = Cluster.Nodes[other - 1].AmqpUri }.CreateConnectionAsync("conn-kill-side"))
        await using (var sideChannel = await side.CreateChannelAsync())
        {
            await sideChannel.QueueDeleteAsync(queue);
        }

        Assert.Null(await Cluster.GetQueueReplicasAsync(queue));

        clock.Start();
        await Cluster.Nodes[node - 1].KillAsync();
        TimeSpan recoveredAfter;
        try
        {
            recoveredAfter = await recovered.Task.WaitAsync(RecoveryTimeout);
        }
        finally
        {
            await Cluster.Nodes[node - 1].StartAsync();
        }

        var newNode = await FindNodeAsync(connection);
        output.WriteLine($"Connection on rmq{node}, killed it: recovered on rmq{newNode} after {recoveredAfter.TotalSeconds:F1} s; " +
                         $"events: {string.Join(", ", timeline)}.");
        try
        {
            Assert.Equal("Lost:Recovering", timeline.First());
            Assert.Equal("Recovered:Open", timeline.Last());
            Assert.Equal(1, timeline.Count(e => e.StartsWith("Lost", StringComparison.Ordinal)));
            Assert.Equal(RabbitHaConnectionState.Open, connection.State);
            Assert.Equal(Cluster.AmqpUri.Port, connection.CurrentEndpoint?.Port);
            Assert.NotEqual(node, newNode);
            Assert.NotNull(await Cluster.GetQueueReplicasAsync(queue));
            await ConnectionProbe.PublishAndGetAsync(connection, exchange, queue);
        }
        finally
        {
            await ConnectionProbe.DeleteAsync(connection, exchange, queue);
        }

        await Cluster.WaitUntilHealthyAsync(HealthyTimeout);
    }

    [DockerFact]
    public async Task HostStart_WhenProxyIsDownThenComesUp_WaitsAndConnects()
    {
        var id = Guid.NewGuid().ToString("N");
        string exchange = "conn-late-x-" + id, queue = "conn-late-q-" + id;
        using IHost host = BuildHost("conn-late", TimeSpan.FromSeconds(60), t => ConnectionProbe.AddRoutedQueue(t, exchange, queue));
        var connection = host.Services.GetRequiredService<IRabbitHaConnection>();

        await Cluster.Proxy.StopAsync();
        Task starting;
        var clock = Stopwatch.StartNew();
        try
        {
            starting = host.StartAsync();
            await Task.Delay(TimeSpan.FromSeconds(5));

            Assert.False(starting.IsCompleted, "host start completed while HAProxy was down");
            Assert.Equal(RabbitHaConnectionState.Connecting, connection.State);
            Assert.Equal(HealthStatus.Unhealthy, (await ConnectionProbe.CheckHealthAsync(host.Services)).Status);
        }
        finally
        {
            await Cluster.Proxy.StartAsync();
        }

        var proxyUp = clock.Elapsed;
        await starting.WaitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine($"HAProxy started {proxyUp.TotalSeconds:F1} s after host start; host start completed " +
                         $"{(clock.Elapsed - proxyUp).TotalSeconds:F1} s later.");
        try
        {
            Assert.Equal(RabbitHaConnectionState.Open, connection.State);
            Assert.Equal(Cluster.AmqpUri.Port, connection.CurrentEndpoint?.Port);
            await ConnectionProbe.PublishAndGetAsync(connection, exchange, queue);
        }
        finally
        {
            await ConnectionProbe.DeleteAsync(connection, exchange, queue);
            await host.StopAsync();
        }

        await Cluster.WaitUntilHealthyAsync(HealthyTimeout);
    }

    [DockerFact]
    public async Task HostStart_WhenProxyStaysDown_FailsAfterStartupTimeoutNamingEndpointAndTimeout()
    {
        var timeout = TimeSpan.FromSeconds(4);
        using IHost host = BuildHost("conn-never", timeout);
        var connection = host.Services.GetRequiredService<IRabbitHaConnection>();

        await Cluster.Proxy.StopAsync();
        RabbitHaConnectionException ex;
        TimeSpan elapsed;
        try
        {
            var clock = Stopwatch.StartNew();
            ex = await Assert.ThrowsAsync<RabbitHaConnectionException>(() => host.StartAsync());
            elapsed = clock.Elapsed;
        }
        finally
        {
            await Cluster.Proxy.StartAsync();
        }

        output.WriteLine($"Host start failed after {elapsed.TotalSeconds:F1} s: {ex.Message}");
        Assert.Contains($"127.0.0.1:{Cluster.AmqpUri.Port}", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"within {timeout}", ex.Message, StringComparison.Ordinal);
        Assert.InRange(elapsed, timeout - TimeSpan.FromMilliseconds(100), timeout + TimeSpan.FromSeconds(5));
        Assert.Equal(RabbitHaConnectionState.Disconnected, connection.State);

        await Cluster.WaitUntilHealthyAsync(HealthyTimeout);
    }

    [DockerFact]
    public async Task Connection_WhenProxyStopsWithFallbacksConfigured_RecoversOntoANodeDirectly()
    {
        var queue = "conn-fallback-" + Guid.NewGuid().ToString("N");
        var nodePorts = Cluster.Nodes.Select(n => n.AmqpUri.Port).ToArray();
        await using var services = BuildServices("conn-fallback",
            o =>
            {
                foreach (var node in Cluster.Nodes)
                {
                    o.FallbackEndpoints.Add($"{node.AmqpUri.Host}:{node.AmqpUri.Port}");
                }
            },
            t => t.Queues.Add(new RabbitHaQueueDefinition { Name = queue }));
        var connection = services.GetRequiredService<IRabbitHaConnection>();
        await connection.ConnectAsync();
        Assert.Equal(Cluster.AmqpUri.Port, connection.CurrentEndpoint?.Port);

        var clock = new Stopwatch();
        var recovered = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionRecovered += (_, _) => recovered.TrySetResult(clock.Elapsed);

        clock.Start();
        await Cluster.Proxy.StopAsync();
        try
        {
            var recoveredAfter = await recovered.Task.WaitAsync(RecoveryTimeout);
            var endpoint = connection.CurrentEndpoint;
            output.WriteLine($"HAProxy stopped: recovered onto {endpoint} after {recoveredAfter.TotalSeconds:F1} s " +
                             $"(proxy port {Cluster.AmqpUri.Port}, node ports {string.Join(", ", nodePorts)}).");

            Assert.Equal(RabbitHaConnectionState.Open, connection.State);
            Assert.NotNull(endpoint);
            Assert.Contains(endpoint.Port, nodePorts);
            await ConnectionProbe.PublishAndGetAsync(connection, string.Empty, queue, routingKey: queue);
        }
        finally
        {
            await Cluster.Proxy.StartAsync();
            await ConnectionProbe.DeleteAsync(connection, exchange: null, queue);
        }

        await Cluster.WaitUntilHealthyAsync(HealthyTimeout);

        // Only a loss starts a recovery: with HAProxy back and every node UP, the connection is still on the node.
        output.WriteLine($"HAProxy back and the cluster healthy: the connection is on {connection.CurrentEndpoint}.");
        Assert.Equal(RabbitHaConnectionState.Open, connection.State);
        Assert.Contains(connection.CurrentEndpoint!.Port, nodePorts);
    }

    [DockerFact]
    public async Task HealthCheck_WhenProxyStopsWithoutFallbacks_IsUnhealthyUntilItIsBackAndTheConnectionRecoversByItself()
    {
        using var logs = new RecordingLoggerProvider(output);
        await using var services = BuildServices("conn-health", logs: logs);
        var connection = services.GetRequiredService<IRabbitHaConnection>();
        await connection.ConnectAsync();
        Assert.Equal(HealthStatus.Healthy, (await ConnectionProbe.CheckHealthAsync(services)).Status);

        var recoveryFailures = 0;
        var failedAt = new ConcurrentQueue<TimeSpan>();
        var clock = Stopwatch.StartNew();
        connection.RecoveryFailed += (_, _) =>
        {
            Interlocked.Increment(ref recoveryFailures);
            failedAt.Enqueue(clock.Elapsed);
        };
        clock.Restart();
        await Cluster.Proxy.StopAsync();
        TimeSpan proxyDown;
        try
        {
            HealthReportEntry unhealthy = default;
            var noticed = await Eventually.HoldsAsync(
                async () => (unhealthy = await ConnectionProbe.CheckHealthAsync(services)).Status == HealthStatus.Unhealthy,
                TimeSpan.FromSeconds(30),
                "the health check reports Unhealthy while HAProxy is down");
            output.WriteLine($"Unhealthy {noticed.TotalSeconds:F1} s after HAProxy stopped: {unhealthy.Description}");

            // Down for a while: recovery keeps failing and the check keeps saying so.
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.Equal(HealthStatus.Unhealthy, (await ConnectionProbe.CheckHealthAsync(services)).Status);
            Assert.Equal(RabbitHaConnectionState.Recovering, connection.State);
            Assert.Contains("Recovering", unhealthy.Description, StringComparison.Ordinal);
            Assert.True(Volatile.Read(ref recoveryFailures) > 0, "no recovery attempt failed while HAProxy was down");

            // One short line per attempt (it repeats, backed off, for the whole outage), saying why: the proxy's port refuses
            // the connection, or, for the attempt made at once while Docker's port forwarder still accepts, closes it.
            Assert.All(logs.Entries("RecoveryFailed"), entry =>
            {
                Assert.Null(entry.Exception);
                Assert.Matches(@"failed \((SocketException|EndOfStreamException|IOException)", entry.Message);
            });
            Assert.Contains(logs.Entries("RecoveryFailed"), entry => entry.Message.Contains("SocketException", StringComparison.Ordinal));
        }
        finally
        {
            proxyDown = clock.Elapsed;
            await Cluster.Proxy.StartAsync();
        }

        // The first attempt at once (FirstAttemptDelay 0), the later ones backed off (250 ms doubling, ±20 %): a
        // handful of attempts over the outage, each pause longer than the one before.
        TimeSpan[] attempts = [.. failedAt.Where(t => t < proxyDown)];
        TimeSpan[] gaps = [.. attempts.Zip(attempts.Skip(1), (a, b) => b - a)];
        output.WriteLine($"Failed attempts at {string.Join(", ", attempts.Select(t => $"{t.TotalSeconds:F2} s"))} after HAProxy stopped");
        Assert.True(attempts[0] < TimeSpan.FromSeconds(1), $"the first attempt failed {attempts[0].TotalSeconds:F2} s after HAProxy stopped");
        Assert.InRange(attempts.Length, 3, 8);
        Assert.All(gaps.Zip(gaps.Skip(1)).Where(p => p.First < TimeSpan.FromSeconds(2)),
            p => Assert.True(p.Second > p.First, $"a pause of {p.Second.TotalMilliseconds:F0} ms followed one of {p.First.TotalMilliseconds:F0} ms"));

        var healthyAfter = await Eventually.HoldsAsync(
            async () => (await ConnectionProbe.CheckHealthAsync(services)).Status == HealthStatus.Healthy,
            RecoveryTimeout,
            "the health check reports Healthy again after HAProxy is back");
        output.WriteLine($"HAProxy down for {proxyDown.TotalSeconds:F1} s ({recoveryFailures} failed recovery attempts); " +
                         $"Healthy again {healthyAfter.TotalSeconds:F1} s after it started.");
        Assert.Equal(RabbitHaConnectionState.Open, connection.State);
        Assert.Equal(Cluster.AmqpUri.Port, connection.CurrentEndpoint?.Port);

        await Cluster.WaitUntilHealthyAsync(HealthyTimeout);
    }

    [DockerFact]
    public async Task Connection_WhenMemoryAlarmIsRaised_ReportsBlockedUntilItIsCleared()
    {
        await using var services = BuildServices("conn-blocked");
        var connection = services.GetRequiredService<IRabbitHaConnection>();
        await connection.ConnectAsync();
        var node = await FindNodeAsync(connection);
        var blocked = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var unblocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Blocked += (_, e) => blocked.TrySetResult(e.Reason);
        connection.Unblocked += (_, _) => unblocked.TrySetResult();
        await using var channel = await connection.CreateChannelAsync();

        await Cluster.Nodes[node - 1].RaiseMemoryAlarmAsync();
        try
        {
            // The broker blocks a connection, and says so, only once it publishes: keep publishing (unroutable,
            // unconfirmed, so nothing waits on the broker) until the block is reported.
            var clock = Stopwatch.StartNew();
            using var stopPublishing = new CancellationTokenSource();
            var published = 0;
            var publishing = Task.Run(async () =>
            {
                while (!stopPublishing.IsCancellationRequested && !connection.IsBlocked)
                {
                    await channel.BasicPublishAsync(string.Empty, "conn-blocked-nowhere", Encoding.UTF8.GetBytes("x"), stopPublishing.Token);
                    Interlocked.Increment(ref published);
                    await Task.Delay(200, stopPublishing.Token);
                }
            });
            string reason;
            try
            {
                reason = await blocked.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }
            finally
            {
                await stopPublishing.CancelAsync();
                await publishing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            var health = await ConnectionProbe.CheckHealthAsync(services);
            output.WriteLine($"Blocked {clock.Elapsed.TotalSeconds:F1} s after the alarm on rmq{node}, after {published} publish(es): " +
                             $"'{reason}'; health {health.Status}: {health.Description}");
            Assert.True(connection.IsBlocked);
            Assert.Equal(reason, connection.BlockedReason);
            Assert.Contains("memory", reason, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(RabbitHaConnectionState.Open, connection.State);
            Assert.Equal(HealthStatus.Unhealthy, health.Status);
            Assert.Contains("blocked", health.Description, StringComparison.Ordinal);
            Assert.False(unblocked.Task.IsCompleted);

            clock.Restart();
            await Cluster.Nodes[node - 1].ClearMemoryAlarmAsync();
            await unblocked.Task.WaitAsync(TimeSpan.FromSeconds(30));
            output.WriteLine($"Unblocked {clock.Elapsed.TotalSeconds:F1} s after the alarm was cleared.");
        }
        finally
        {
            await Cluster.Nodes[node - 1].ClearMemoryAlarmAsync();
        }

        Assert.False(connection.IsBlocked);
        Assert.Null(connection.BlockedReason);
        Assert.Equal(HealthStatus.Healthy, (await ConnectionProbe.CheckHealthAsync(services)).Status);
        await Cluster.WaitUntilHealthyAsync(HealthyTimeout);
    }

    private async Task<int> FindNodeAsync(IRabbitHaConnection connection)
    {
        int? node = null;
        await Eventually.HoldsAsync(
            async () => (node = (await Cluster.FindConnectionNodeAsync(connection.ClientProvidedName))?.Number) is not null,
            TimeSpan.FromSeconds(15),
            $"connection '{connection.ClientProvidedName}' is listed by the management API");
        return node!.Value;
    }

    private ServiceProvider BuildServices(
        string namePrefix,
        Action<RabbitHaOptions>? configure = null,
        Action<RabbitHaTopologyOptions>? topology = null,
        ILoggerProvider? logs = null)
    {
        return RabbitHaTestHost.BuildServices(
            Cluster.AmqpUri,
            namePrefix + "-" + Guid.NewGuid().ToString("N")[..8],
            logs ?? new XunitLoggerProvider(output),
            rabbitHa =>
            {
                if (topology is not null)
                {
                    rabbitHa.AddTopology(topology);
                }
            },
            configure);
    }

    private IHost BuildHost(string namePrefix, TimeSpan startupTimeout, Action<RabbitHaTopologyOptions>? topology = null) =>
        RabbitHaTestHost.Build(
            Cluster.AmqpUri,
            namePrefix + "-" + Guid.NewGuid().ToString("N")[..8],
            new XunitLoggerProvider(output),
            rabbitHa =>
            {
                if (topology is not null)
                {
                    rabbitHa.AddTopology(topology);
                }
            },
            o => o.Startup.Timeout = startupTimeout);
}
