using RabbitHa.Client;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Chaos;

/// <summary>
/// Scenarios 3 and 7: HAProxy stopped (killed: every connection through it drops) for 5 s and started again on the
/// same port. Without fallbacks every connection waits for the proxy, well within the publisher's 2 min
/// <see cref="RabbitHaPublisherOptions.PublishTimeout"/>; with the nodes as <see cref="RabbitHaOptions.FallbackEndpoints"/>
/// the connections recover on the nodes directly and do not wait for the proxy at all.
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", "Chaos")]
public sealed class ProxyOutageScenarios(ChaosClusterFixture fixture, ITestOutputHelper output) : ChaosScenario(fixture, output)
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(5);

    [DockerTheory]
    [ScenarioData(RabbitHaQueueType.Classic, false)]
    [ScenarioData(RabbitHaQueueType.Classic, true)]
    [ScenarioData(RabbitHaQueueType.Quorum, false)]
    [ScenarioData(RabbitHaQueueType.Quorum, true)]
    public Task StopTheProxyFor5Seconds_WhileMessagesFlow_LosesNothingAndThrowsNothing(RabbitHaQueueType queueType, bool fallbacks) =>
        RunAsync($"HAProxy down 5 s, {(fallbacks ? "with" : "no")} fallbacks", queueType, async workload =>
        {
            var placement = await PlacementAsync(workload);
            try
            {
                workload.MarkFault("HAProxy killed");
                await Cluster.Proxy.StopAsync();
                await Task.Delay(Outage);
            }
            finally
            {
                workload.MarkFault("HAProxy started");
                await Cluster.Proxy.StartAsync();
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
            return new Fault($"producer on rmq{placement.Producer}, leader on rmq{placement.Leader}", () => Task.CompletedTask);
        }, new WorkloadOptions { Fallbacks = fallbacks });
}
