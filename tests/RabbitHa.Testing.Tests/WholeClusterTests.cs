using System.Diagnostics;
using System.Text;
using RabbitHa.Testing.Xunit;
using RabbitMQ.Client;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Testing.Tests;

/// <summary>
/// The whole-cluster stop and start, on a cluster of its own: what a whole-cluster restart leaves behind must not be
/// what the other chaos tests start from.
/// </summary>
[Collection(WholeClusterCollection.Name)]
[Trait("Category", "Chaos")]
public sealed class WholeClusterTests(RabbitHaClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(90);

    private IRabbitHaCluster Cluster => fixture.Cluster;

    /// <summary>
    /// The seed's warning: after a whole-cluster stop, the node that stopped last must come back first. Here rmq3 stops
    /// last and rmq1 starts first, 5 s before the others: the cluster forms again, and what was confirmed before is there.
    /// </summary>
    [DockerFact]
    public async Task StopAllNodes_ThenStartThemInTheWrongOrder_TheClusterComesBackWithItsMessages()
    {
        const int Messages = 50;
        var queue = "whole-cluster-" + Guid.NewGuid().ToString("N");
        await using (var publisher = await Amqp.ConnectAsync(Cluster.AmqpUri, "before the outage"))
        {
            await Amqp.DeclareDurableQueueAsync(publisher, queue);
            await Eventually.HoldsAsync(
                async () => await Cluster.GetQueueReplicasAsync(queue) is { SynchronisedMirrors.Count: 2 },
                TimeSpan.FromSeconds(30),
                $"{queue} has a replica on every node");
            for (int i = 0; i < Messages; i++)
            {
                await Amqp.PublishConfirmedAsync(publisher, queue, Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
        }

        var clock = Stopwatch.StartNew();
        try
        {
            await Cluster.StopAllNodesAsync([1, 2, 3]);
            output.WriteLine($"Every node stopped after {clock.Elapsed.TotalSeconds:F1} s");
            await Assert.ThrowsAsync<RabbitMQ.Client.Exceptions.BrokerUnreachableException>(
                () => Amqp.ConnectAsync(Cluster.AmqpUri, "while every node is down"));
        }
        finally
        {
            clock.Restart();
            await Cluster.StartAllNodesAsync([1, 2, 3], TimeSpan.FromSeconds(5));
        }

        output.WriteLine($"Every node running {clock.Elapsed.TotalSeconds:F1} s after the first start");
        await Cluster.WaitUntilHealthyAsync(RecoveryTimeout);
        output.WriteLine($"Cluster healthy (HAProxy: every node UP) {clock.Elapsed.TotalSeconds:F1} s after the first start");

        Assert.All(await Cluster.GetNodeStatesAsync(), n => Assert.True(n.IsRunning && n.Partitions.Count == 0, n.NodeName));
        await using var consumer = await Amqp.ConnectAsync(Cluster.AmqpUri, "after the outage");
        await using var channel = await consumer.CreateChannelAsync();
        var received = new List<string>();
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
        {
            received.Add(Encoding.UTF8.GetString(message.Body.Span));
        }

        await channel.QueueDeleteAsync(queue);
        Assert.Equal(Enumerable.Range(0, Messages).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), received);
    }
}
