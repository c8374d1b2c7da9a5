using System.Text;
using Microsoft.Extensions.Logging;
using RabbitHa.Testing;
using RabbitHa.Testing.Xunit;
using RabbitMQ.Client;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Client.IntegrationTests;

/// <summary>A broker alarm blocks every publishing connection of the cluster: publishes wait, then complete.</summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", "Chaos")]
public sealed class PublisherAlarmTests(RabbitHaClusterFixture fixture, ITestOutputHelper output)
{
    private IRabbitHaCluster Cluster => fixture.Cluster;

    [DockerFact]
    public async Task PublishAsync_WhileAMemoryAlarmBlocksTheConnection_WaitsAndCompletesAfterIt()
    {
        await using var testQueue = TestQueue.Named(Cluster.AmqpUri, "alarm");
        var queue = testQueue.Name;
        await using var app = await PublishingTestApp.ConnectAsync(Cluster.AmqpUri, clientProvidedName: null, new XunitLoggerProvider(output), queue);
        // The publisher's own connection is the one the broker blocks; the main one (topology, consumers) is not publishing.
        var connection = app.PublisherConnection;
        var publisher = app.Publisher;

        Task publishes;
        await Cluster.Nodes[0].RaiseMemoryAlarmAsync();
        try
        {
            // The broker blocks a connection when it next publishes: the first message triggers it.
            publishes = Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
                publisher.PublishAsync(string.Empty, queue, Encoding.UTF8.GetBytes($"m{i}"))));
            await Eventually.HoldsAsync(() => Task.FromResult(connection.IsBlocked), TimeSpan.FromSeconds(15), "the connection is blocked");
            await Task.Delay(TimeSpan.FromSeconds(3));

            Assert.False(publishes.IsCompleted, "publishes completed while the broker blocked the connection");
        }
        finally
        {
            await Cluster.Nodes[0].ClearMemoryAlarmAsync();
        }

        await publishes.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(connection.IsBlocked);
        await using var channel = await app.Connection.CreateChannelAsync();
        Assert.Equal(50u, await channel.MessageCountAsync(queue));
    }
}
