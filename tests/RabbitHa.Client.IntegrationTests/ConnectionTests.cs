using System.Diagnostics;
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
/// The connection against the real cluster, without breaking it: the host starts connected, what retrying cannot
/// fix (wrong credentials) fails at once with the broker's reason, and a contradicting queue does not stop the rest.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ConnectionTests(RabbitHaClusterFixture fixture, ITestOutputHelper output)
{
    // Long, so that a failure that was retried would take this long: "fast" is measured against it.
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan FailFast = TimeSpan.FromSeconds(10);

    private IRabbitHaCluster Cluster => fixture.Cluster;

    [DockerFact]
    public async Task HostStart_WhenClusterIsUp_OpensThroughHaProxyDeclaresTopologyAndIsHealthy()
    {
        var id = Guid.NewGuid().ToString("N");
        string exchange = "conn-x-" + id, queue = "conn-q-" + id;
        using IHost host = BuildHost("conn-up-" + id, topology: t => ConnectionProbe.AddRoutedQueue(t, exchange, queue));
        var connection = host.Services.GetRequiredService<IRabbitHaConnection>();

        var clock = Stopwatch.StartNew();
        await host.StartAsync();
        output.WriteLine($"Host started and connected in {clock.ElapsedMilliseconds} ms.");
        try
        {
            Assert.Equal(RabbitHaConnectionState.Open, connection.State);
            Assert.Equal(Cluster.AmqpUri.Port, connection.CurrentEndpoint?.Port);
            await Eventually.HoldsAsync(async () => await Cluster.FindConnectionNodeAsync(connection.ClientProvidedName) is not null,
                TimeSpan.FromSeconds(15), "the connection is listed by the management API");
            var health = await ConnectionProbe.CheckHealthAsync(host.Services);
            Assert.Equal(HealthStatus.Healthy, health.Status);

            await ConnectionProbe.PublishAndGetAsync(connection, exchange, queue);
        }
        finally
        {
            await ConnectionProbe.DeleteAsync(connection, exchange, queue);
            await host.StopAsync();
        }

        Assert.Equal(RabbitHaConnectionState.Closed, connection.State);
    }

    [DockerFact]
    public async Task ConnectAsync_WhenCredentialsAreRefused_FailsFastNamingTheUserWithoutRetrying()
    {
        var user = "rabbitha-nobody-" + Guid.NewGuid().ToString("N")[..8];
        const string password = "not-the-password-8f3e";
        using var logs = new RecordingLoggerProvider(output);
        await using var services = BuildServices("conn-badauth", logs, o =>
        {
            // Without the fixture's URI, whose user information would take precedence.
            o.Uri = null;
            o.Host = Cluster.AmqpUri.Host;
            o.Port = Cluster.AmqpUri.Port;
            o.UserName = user;
            o.Password = password;
        });
        var connection = services.GetRequiredService<IRabbitHaConnection>();

        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<RabbitHaConnectionException>(() => connection.ConnectAsync());
        var elapsed = clock.Elapsed;
        output.WriteLine($"Failed after {elapsed.TotalMilliseconds:F0} ms (start-up timeout {StartupTimeout}): {ex.Message}");

        Assert.True(elapsed < FailFast, $"took {elapsed}, expected well under the start-up timeout of {StartupTimeout}");
        Assert.Contains($"user '{user}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{Cluster.AmqpUri.Port}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not retried", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(password, ex.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, logs.Count("ConnectAttemptFailed"));
        Assert.Equal(0, logs.Count("ConnectFailed")); // thrown to the caller, not logged as well
        Assert.Equal(RabbitHaConnectionState.Disconnected, connection.State);
    }

    [DockerFact]
    public async Task ConnectAsync_WhenConfiguredQueueContradictsTheBroker_OpensDeclaresTheRestAndReportsTheRefusal()
    {
        var id = Guid.NewGuid().ToString("N");
        string queue = "conn-mismatch-" + id, other = "conn-mismatch-ok-" + id;
        await using var side = await new ConnectionFactory { Uri = Cluster.AmqpUri }.CreateConnectionAsync("conn-mismatch-side");
        await using var sideChannel = await side.CreateChannelAsync();
        await sideChannel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        try
        {
            using var logs = new RecordingLoggerProvider(output);
            await using var services = BuildServices("conn-mismatch", logs, topology: t =>
            {
                t.Queues.Add(new RabbitHaQueueDefinition { Name = queue, Durable = false });
                t.Queues.Add(new RabbitHaQueueDefinition { Name = other });
            });
            var connection = services.GetRequiredService<IRabbitHaConnection>();

            var clock = Stopwatch.StartNew();
            await connection.ConnectAsync();
            var elapsed = clock.Elapsed;
            var health = await ConnectionProbe.CheckHealthAsync(services);
            output.WriteLine($"Open after {elapsed.TotalMilliseconds:F0} ms; health {health.Status}: {health.Description}");

            // A refusal is not a connect failure: open at once, the other queue declared, the refusal said out loud.
            Assert.True(elapsed < FailFast, $"took {elapsed}, expected well under the start-up timeout of {StartupTimeout}");
            Assert.Equal(RabbitHaConnectionState.Open, connection.State);
            Assert.Equal(0, logs.Count("ConnectAttemptFailed"));
            await sideChannel.QueueDeclarePassiveAsync(other);
            var refused = Assert.Single(logs.Entries("TopologyRefused"));
            Assert.Equal(LogLevel.Error, refused.Level);
            Assert.Contains($"queue '{queue}'", refused.Message, StringComparison.Ordinal);
            Assert.Contains("406 PRECONDITION_FAILED", refused.Message, StringComparison.Ordinal);
            Assert.Equal(HealthStatus.Degraded, health.Status);
            Assert.Contains($"queue '{queue}'", health.Description, StringComparison.Ordinal);

            // Deleted: the background retry declares it as configured, and the check is healthy again.
            await sideChannel.QueueDeleteAsync(queue);
            await Eventually.HoldsAsync(async () => (await ConnectionProbe.CheckHealthAsync(services)).Status == HealthStatus.Healthy,
                TimeSpan.FromSeconds(15), "the health check is healthy once the queue is declared");
            Assert.Single(logs.Entries("TopologyDeclaredAfterRefusal"));
            await sideChannel.QueueDeclarePassiveAsync(queue);
        }
        finally
        {
            await sideChannel.QueueDeleteAsync(queue);
            await sideChannel.QueueDeleteAsync(other);
        }
    }

    private ServiceProvider BuildServices(
        string namePrefix, ILoggerProvider logs, Action<RabbitHaOptions>? configure = null, Action<RabbitHaTopologyOptions>? topology = null)
    {
        return RabbitHaTestHost.BuildServices(
            Cluster.AmqpUri,
            namePrefix + "-" + Guid.NewGuid().ToString("N")[..8],
            logs,
            rabbitHa =>
            {
                if (topology is not null)
                {
                    rabbitHa.AddTopology(topology);
                }
            },
            o =>
            {
                o.Startup.Timeout = StartupTimeout;
                configure?.Invoke(o);
            });
    }

    private IHost BuildHost(string clientProvidedName, Action<RabbitHaTopologyOptions> topology) =>
        RabbitHaTestHost.Build(
            Cluster.AmqpUri, clientProvidedName, new XunitLoggerProvider(output), rabbitHa => rabbitHa.AddTopology(topology), o => o.Startup.Timeout = StartupTimeout);
}
