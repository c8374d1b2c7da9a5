using System.Diagnostics;
using System.Text;
using RabbitHa.Testing.Xunit;
using RabbitMQ.Client;
using Xunit;

namespace RabbitHa.Testing.Tests;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ClusterStateTests(RabbitHaClusterFixture fixture)
{
    private IRabbitHaCluster Cluster => fixture.Cluster;

    [DockerFact]
    public async Task Nodes_AfterStart_AreRunningInOneClusterWithoutPartition()
    {
        var nodes = await Cluster.GetNodeStatesAsync();

        Assert.Equal(["rabbit@rmq1", "rabbit@rmq2", "rabbit@rmq3"], nodes.Select(n => n.NodeName).Order());
        Assert.All(nodes, n => Assert.True(n.IsRunning, $"{n.NodeName} is not running"));
        Assert.All(nodes, n => Assert.Empty(n.Partitions));
    }

    [DockerFact]
    public async Task Proxy_AfterStart_ReportsEveryNodeUp()
    {
        var backends = await Cluster.GetProxyBackendsAsync();

        Assert.Equal(["rmq1", "rmq2", "rmq3"], backends.Select(b => b.ServerName));
        Assert.All(backends, b => Assert.Equal("UP", b.Status));
    }

    [DockerFact]
    public async Task Queue_DeclaredThroughProxy_IsMirroredOnTheTwoOtherNodes()
    {
        var queue = "mirrored-" + Guid.NewGuid().ToString("N");
        await using var connection = await Amqp.ConnectAsync(Cluster.AmqpUri, nameof(Queue_DeclaredThroughProxy_IsMirroredOnTheTwoOtherNodes));
        await Amqp.DeclareDurableQueueAsync(connection, queue);

        QueueReplicaState? state = null;
        await Eventually.HoldsAsync(
            async () => (state = await Cluster.GetQueueReplicasAsync(queue)) is { SynchronisedMirrors.Count: 2, Policy: not null },
            TimeSpan.FromSeconds(30),
            $"queue {queue} has a policy and 2 synchronised mirrors (last seen: {state})");

        Assert.Equal("classic", state!.Type);
        Assert.Equal("ha-all", state.Policy);
        Assert.Equal(3, state.Mirrors.Append(state.LeaderNode).Distinct().Count());
        Assert.DoesNotContain(state.LeaderNode, state.SynchronisedMirrors);

        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeleteAsync(queue);
    }

    [DockerFact]
    public async Task Message_PublishedThroughProxy_CanBeReadFromAnyNode()
    {
        var queue = "any-node-" + Guid.NewGuid().ToString("N");
        var body = Encoding.UTF8.GetBytes("hello from the proxy");
        await using (var viaProxy = await Amqp.ConnectAsync(Cluster.AmqpUri, "publisher"))
        {
            await Amqp.DeclareDurableQueueAsync(viaProxy, queue);
            await Amqp.PublishConfirmedAsync(viaProxy, queue, body);
        }

        await using var direct = await Amqp.ConnectAsync(Cluster.Nodes[2].AmqpUri, "reader on rmq3");
        await using var channel = await direct.CreateChannelAsync();
        var message = await channel.BasicGetAsync(queue, autoAck: true);

        Assert.NotNull(message);
        Assert.Equal(body, message.Body.ToArray());
        await channel.QueueDeleteAsync(queue);
    }

    [DockerFact]
    public async Task FindConnectionNode_RightAfterConnecting_WaitsForTheBrokerToListIt()
    {
        var name = "find-me-" + Guid.NewGuid().ToString("N");
        await using var connection = await Amqp.ConnectAsync(Cluster.Nodes[1].AmqpUri, name);

        var node = await Cluster.FindConnectionNodeAsync(name);

        Assert.Equal(2, node);
    }

    [DockerFact]
    public async Task FindConnectionNode_ForUnknownName_IsNullOnceTheTimeoutHasPassed()
    {
        var name = "no-such-connection-" + Guid.NewGuid().ToString("N");

        var once = Stopwatch.StartNew();
        Assert.Null(await Cluster.FindConnectionNodeAsync(name, TimeSpan.Zero));
        once.Stop();
        var waited = Stopwatch.StartNew();
        Assert.Null(await Cluster.FindConnectionNodeAsync(name, TimeSpan.FromSeconds(1)));
        waited.Stop();

        Assert.True(once.Elapsed < TimeSpan.FromSeconds(1), $"asking once took {once.Elapsed}");
        Assert.InRange(waited.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
    }

    [DockerFact]
    public async Task QueueReplicas_ForMissingQueue_IsNull()
    {
        Assert.Null(await Cluster.GetQueueReplicasAsync("no-such-queue-" + Guid.NewGuid().ToString("N")));
    }
}
