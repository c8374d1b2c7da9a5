using System.Collections.Concurrent;
using RabbitHa.Testing.Containers;
using RabbitHa.Testing.Xunit;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

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
    public async Task Fixture_StartThenDispose_RemovesEveryContainerAndTheNetwork_AndLogsNoPassword()
    {
        var sink = new RecordingSink();
        var fixture = new RabbitHaClusterFixture(sink);
        ContainerCluster cluster;
        try
        {
            await fixture.InitializeAsync();
            cluster = (ContainerCluster)fixture.Cluster;
            Assert.Equal((4, 1), await ContainerCluster.CountResourcesAsync(cluster.Id, CancellationToken.None));
            // Something to log besides the start: a chaos operation.
            await cluster.Nodes[0].RaiseMemoryAlarmAsync();
            await cluster.Nodes[0].ClearMemoryAlarmAsync();
        }
        finally
        {
            await fixture.DisposeAsync();
        }

        Assert.Equal((0, 0), await ContainerCluster.CountResourcesAsync(cluster.Id, CancellationToken.None));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => cluster.StartAsync());

        foreach (var line in sink.Lines)
        {
            output.WriteLine(line);
        }

        Assert.Contains(sink.Lines, l => l.Contains("cluster up", StringComparison.Ordinal));
        Assert.Contains(sink.Lines, l => l.Contains("removed", StringComparison.Ordinal));
        Assert.All(sink.Lines, l => Assert.DoesNotContain(cluster.Password, l, StringComparison.Ordinal));
        Assert.All(sink.Lines, l => Assert.DoesNotContain(cluster.Proxy.StatsPassword, l, StringComparison.Ordinal));
    }

    private sealed class RecordingSink : LongLivedMarshalByRefObject, IMessageSink
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyCollection<string> Lines => _lines;

        public bool OnMessage(IMessageSinkMessage message)
        {
            if (message is IDiagnosticMessage diagnostic)
            {
                _lines.Enqueue(diagnostic.Message);
            }

            return true;
        }
    }
}
