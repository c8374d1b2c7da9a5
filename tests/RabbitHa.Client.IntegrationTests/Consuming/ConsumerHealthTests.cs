using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using RabbitHa.Testing;
using RabbitHa.Testing.Xunit;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Client.IntegrationTests.Consuming;

/// <summary>The <c>"rabbitha"</c> health check reports every consumer: one that cannot subscribe makes it Unhealthy, naming it and why.</summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ConsumerHealthTests(RabbitHaClusterFixture fixture, ITestOutputHelper output)
{
    private IRabbitHaCluster Cluster => fixture.Cluster;

    [DockerFact]
    public async Task HealthCheck_WhenAConsumersQueueIsDeleted_IsUnhealthyNamingTheConsumerAndTheBrokersReason_AndHealthyOnceTheQueueIsBack()
    {
        await using TestQueue testQueue = await TestQueue.DeclareAsync(Cluster.AmqpUri, "consumer-health");
        string queue = testQueue.Name;
        var log = new DeliveryLog();

        // The queue is not in AddTopology: nobody but the test declares it again.
        using IHost host = ConsumerHost.Build(Cluster, output, "consumer-" + queue, queue, log, configure: o =>
        {
            o.UnhealthyAfter = TimeSpan.FromSeconds(3);
            o.DeadLetterStrategy = RabbitHaDeadLetterStrategy.Broker;
        });
        await host.StartAsync();
        try
        {
            await host.WaitUntilSubscribedAsync();
            await Eventually.HoldsAsync(async () => (await ConnectionProbe.CheckHealthAsync(host.Services)).Status == HealthStatus.Healthy,
                TimeSpan.FromSeconds(10), "healthy while subscribed");

            await TestAmqp.DeleteQueueAsync(Cluster.AmqpUri, queue);
            HealthReportEntry unhealthy = default;
            TimeSpan reported = await Eventually.HoldsAsync(async () => (unhealthy = await ConnectionProbe.CheckHealthAsync(host.Services)).Status == HealthStatus.Unhealthy,
                TimeSpan.FromSeconds(30), "the health check turns Unhealthy");
            output.WriteLine($"Unhealthy {reported.TotalSeconds:F1} s after the deletion: {unhealthy.Description}");

            await TestAmqp.DeclareQueueAsync(Cluster.AmqpUri, queue);
            TimeSpan recovered = await Eventually.HoldsAsync(async () => (await ConnectionProbe.CheckHealthAsync(host.Services)).Status == HealthStatus.Healthy,
                TimeSpan.FromSeconds(30), "the health check is Healthy again once the queue is back");
            output.WriteLine($"Healthy {recovered.TotalSeconds:F1} s after the queue was declared again");

            Assert.Contains($"Consumer '{queue}' has not been subscribed to queue '{queue}' for", unhealthy.Description, StringComparison.Ordinal);
            Assert.Contains($"404 NOT_FOUND - no queue '{queue}'", unhealthy.Description, StringComparison.Ordinal);
            Assert.True(host.Consumer().IsSubscribed);
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
