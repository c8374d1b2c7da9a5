using System.Diagnostics;
using System.Text;
using RabbitHa.Testing.Xunit;
using RabbitMQ.Client;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Testing.Tests;

/// <summary>
/// The fixture's chaos operations, proven on the real cluster. Each test leaves the cluster healthy
/// for the next one.
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", "Chaos")]
public sealed class ChaosTests(RabbitHaClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(90);

    /// <summary>
    /// What a node logs when pause_minority stops it. Not just "minority": RabbitMQ 4 names "pause_minority mode" at start-up,
    /// and a node reconnected before it has paused may find itself in the majority again and stay partitioned for good.
    /// </summary>
    private const string MinorityPaused = "Cluster minority/secondary status detected";

    private IRabbitHaCluster Cluster => fixture.Cluster;

    [DockerFact]
    public async Task KillNode_ThenStartNode_ProxyMarksItDownThenUp()
    {
        await Cluster.Nodes[1].KillAsync();
        var clock = Stopwatch.StartNew();
        try
        {
            var down = await Eventually.HoldsAsync(
                async () => await UpServersAsync() is ["rmq1", "rmq3"],
                TimeSpan.FromSeconds(15),
                "HAProxy reports only rmq1 and rmq3 up");
            output.WriteLine($"HAProxy took rmq2 out after {down.TotalSeconds:F1} s");
        }
        finally
        {
            clock.Restart();
            await Cluster.Nodes[1].StartAsync();
        }

        await Cluster.WaitUntilHealthyAsync(RecoveryTimeout);
        output.WriteLine($"rmq2 back in the cluster and UP in HAProxy after {clock.Elapsed.TotalSeconds:F1} s");

        Assert.Equal(["rmq1", "rmq2", "rmq3"], await UpServersAsync());
        Assert.All(await Cluster.GetNodeStatesAsync(), n => Assert.True(n.IsRunning, n.NodeName));
    }

    [DockerFact]
    public async Task Message_ConfirmedBeforeItsQueueMasterIsKilled_IsConsumedAfterwards()
    {
        var queue = "survives-" + Guid.NewGuid().ToString("N");
        var body = Encoding.UTF8.GetBytes("confirmed before the crash");
        await using (var publisher = await Amqp.ConnectAsync(Cluster.AmqpUri, "publisher"))
        {
            await Amqp.DeclareDurableQueueAsync(publisher, queue);
            // Mirrored by ha-all on RabbitMQ 3; on RabbitMQ 4, a quorum queue (the default type) with two followers online.
            var replicated = Cluster.RabbitMqProfile == RabbitMqProfile.RabbitMq3 ? "classic" : "quorum";
            await Eventually.HoldsAsync(
                async () => await Cluster.GetQueueReplicasAsync(queue) is { SynchronisedMirrors.Count: 2 } state && state.Type == replicated,
                TimeSpan.FromSeconds(30),
                $"the queue is a {replicated} queue replicated on two more nodes");
            await Amqp.PublishConfirmedAsync(publisher, queue, body);
        }

        var before = await Cluster.GetQueueReplicasAsync(queue);
        var master = Cluster.GetNode(before!.LeaderNode!);
        await master.KillAsync();
        output.WriteLine($"Killed {master.HostName}, master of {queue}");

        // HAProxy may still send a connection to the dead node until its check marks it down.
        BasicGetResult? message = null;
        try
        {
            await Eventually.HoldsAsync(
            async () =>
            {
                try
                {
                    await using var consumer = await Amqp.ConnectAsync(Cluster.AmqpUri, "consumer");
                    await using var channel = await consumer.CreateChannelAsync();
                    message = await channel.BasicGetAsync(queue, autoAck: true);
                    await channel.QueueDeleteAsync(queue);
                    return true;
                }
                catch (Exception ex) when (ex is RabbitMQ.Client.Exceptions.BrokerUnreachableException
                                               or RabbitMQ.Client.Exceptions.AlreadyClosedException
                                               or RabbitMQ.Client.Exceptions.OperationInterruptedException)
                {
                    output.WriteLine($"Not yet: {ex.GetType().Name}: {ex.Message}");
                    return false;
                }
            },
            TimeSpan.FromSeconds(30),
            "a consumer reads the queue through HAProxy");
        }
        finally
        {
            await master.StartAsync();
        }

        Assert.NotNull(message);
        Assert.Equal(body, message.Body.ToArray());
        await Cluster.WaitUntilHealthyAsync(RecoveryTimeout);
    }

    [DockerFact]
    public async Task DisconnectNode_MinorityPausesItself_AndRecoversAfterReconnect()
    {
        await Cluster.Nodes[2].DisconnectAsync();
        try
        {
            // Until the majority notices (net_ticktime), its management API may not answer at all.
            var noticed = await Eventually.HoldsAsync(
                async () => await TryGetNodeStatesAsync() is { } states
                            && states.Single(n => n.NodeName == "rabbit@rmq3").IsRunning == false,
                TimeSpan.FromSeconds(60),
                "the majority sees rabbit@rmq3 as not running");
            output.WriteLine($"The majority noticed the partition after {noticed.TotalSeconds:F1} s");

            var paused = await Eventually.HoldsAsync(
                async () => (await Cluster.Nodes[2].GetLogAsync()).Contains(MinorityPaused, StringComparison.Ordinal),
                TimeSpan.FromSeconds(45),
                "rmq3 logs that it is in the minority and pauses");
            output.WriteLine($"rmq3 paused itself (pause_minority) {paused.TotalSeconds:F1} s later:");
            foreach (var line in (await Cluster.Nodes[2].GetLogAsync()).Split('\n').Where(l => l.Contains(MinorityPaused, StringComparison.Ordinal)))
            {
                output.WriteLine("  " + line);
            }
        }
        finally
        {
            await Cluster.Nodes[2].ReconnectAsync();
        }

        var clock = Stopwatch.StartNew();
        try
        {
            await Cluster.WaitUntilHealthyAsync(RecoveryTimeout);
            output.WriteLine($"rmq3 recovered by itself {clock.Elapsed.TotalSeconds:F1} s after reconnect");
        }
        catch (TimeoutException ex) when (Cluster.RabbitMqProfile == RabbitMqProfile.RabbitMq4)
        {
            // Seen once in CI on RabbitMQ 4.0: the paused minority node stayed paused after it was reconnected. The fixture's
            // documentation says to restart it then; RabbitMQ 3 always healed by itself here, and is held to it.
            output.WriteLine($"rmq3 did not recover by itself within {RecoveryTimeout.TotalSeconds:F0} s on RabbitMQ 4 ({ex.Message}); restarting it.");
            await Cluster.Nodes[2].StopAsync();
            await Cluster.Nodes[2].StartAsync();
            await Cluster.WaitUntilHealthyAsync(RecoveryTimeout);
        }

        Assert.All(await Cluster.GetNodeStatesAsync(), n => Assert.Empty(n.Partitions));
        Assert.All(await Cluster.GetNodeStatesAsync(), n => Assert.True(n.IsRunning, n.NodeName));
    }

    [DockerFact]
    public async Task PauseNode_ProxyAmqpCheckMarksTheFrozenNodeDown()
    {
        await Cluster.Nodes[0].PauseAsync();
        try
        {
            // A TCP check would keep a frozen node UP; the AMQP handshake check must not.
            var down = await Eventually.HoldsAsync(
                async () => !(await UpServersAsync()).Contains("rmq1"),
                TimeSpan.FromSeconds(8),
                "HAProxy takes the frozen rmq1 out");
            output.WriteLine($"HAProxy took the frozen rmq1 out after {down.TotalSeconds:F1} s");
        }
        finally
        {
            // Unpause well within net_ticktime, or the cluster keeps a partition pause_minority does not heal.
            await Cluster.Nodes[0].UnpauseAsync();
        }

        await Cluster.WaitUntilHealthyAsync(RecoveryTimeout);
    }

    [DockerFact]
    public async Task StopNode_Gracefully_ThenStart_RejoinsTheCluster()
    {
        await Cluster.Nodes[0].StopAsync();
        try
        {
            var states = await Cluster.GetNodeStatesAsync();
            Assert.False(states.Single(n => n.NodeName == "rabbit@rmq1").IsRunning);
        }
        finally
        {
            await Cluster.Nodes[0].StartAsync();
        }

        await Cluster.WaitUntilHealthyAsync(RecoveryTimeout);
        Assert.All(await Cluster.GetNodeStatesAsync(), n => Assert.True(n.IsRunning, n.NodeName));
    }

    [DockerFact]
    public async Task StopProxy_RefusesClients_AndStartProxy_ServesThemOnTheSameAddress()
    {
        await Cluster.Proxy.StopAsync();
        try
        {
            await Assert.ThrowsAsync<RabbitMQ.Client.Exceptions.BrokerUnreachableException>(
                () => Amqp.ConnectAsync(Cluster.AmqpUri, "while the proxy is down"));
        }
        finally
        {
            await Cluster.Proxy.StartAsync();
        }

        await Cluster.WaitUntilHealthyAsync(RecoveryTimeout);
        await using var connection = await Amqp.ConnectAsync(Cluster.AmqpUri, "after the proxy restarted");
        Assert.True(connection.IsOpen);
    }

    [DockerFact]
    public async Task MemoryAlarm_BlocksPublishers_UntilCleared()
    {
        await using var connection = await Amqp.ConnectAsync(Cluster.AmqpUri, "blocked publisher");
        var blocked = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var unblocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionBlockedAsync += (_, e) => { blocked.TrySetResult(e.Reason); return Task.CompletedTask; };
        connection.ConnectionUnblockedAsync += (_, _) => { unblocked.TrySetResult(); return Task.CompletedTask; };

        // Closed at the end, once unblocked: a blocked connection's socket is not read, so a close there waits out the
        // client's 20 s continuation timeout.
        await using var channel = await connection.CreateChannelAsync();
        await Cluster.Nodes[1].RaiseMemoryAlarmAsync();
        try
        {
            // The broker blocks a connection when it next publishes.
            await channel.BasicPublishAsync(string.Empty, "nowhere", Encoding.UTF8.GetBytes("x"));
            var reason = await blocked.Task.WaitAsync(TimeSpan.FromSeconds(15));
            output.WriteLine($"Blocked: {reason}");
        }
        finally
        {
            await Cluster.Nodes[1].ClearMemoryAlarmAsync();
        }

        await unblocked.Task.WaitAsync(TimeSpan.FromSeconds(15));
    }

    private async Task<IReadOnlyList<ClusterNodeState>?> TryGetNodeStatesAsync()
    {
        try
        {
            return await Cluster.GetNodeStatesAsync();
        }
        catch (InvalidOperationException ex)
        {
            output.WriteLine(ex.Message);
            return null;
        }
    }

    private async Task<string[]> UpServersAsync() =>
        (await Cluster.Proxy.GetBackendsAsync()).Where(b => b.IsUp).Select(b => b.ServerName).ToArray();
}
