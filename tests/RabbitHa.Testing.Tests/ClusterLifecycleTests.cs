using RabbitHa.Testing.Containers;
using RabbitHa.Testing.Xunit;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Testing.Tests;

/// <summary>
/// A cluster of its own, started and disposed by the test. In the chaos collection so that it does not
/// start beside the shared cluster on a two-core machine.
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ClusterLifecycleTests(ITestOutputHelper output)
{
    [DockerFact]
    public async Task DisposeAsync_AfterStart_RemovesEveryContainerAndTheNetwork()
    {
        var cluster = new ContainerClusterBuilder().WithLog(output.WriteLine).Build();
        try
        {
            await cluster.StartAsync();
            Assert.Equal((4, 1), await ContainerCluster.CountResourcesAsync(cluster.Id, CancellationToken.None));
        }
        finally
        {
            await cluster.DisposeAsync();
        }

        Assert.Equal((0, 0), await ContainerCluster.CountResourcesAsync(cluster.Id, CancellationToken.None));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => cluster.StartAsync());
    }
}
