using RabbitHa.Client;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Chaos;

/// <summary>
/// The control row of the report: the same workload with no fault at all. Its pauses are what the machine does by
/// itself (a loaded two-core machine stalls a process or a broker now and then), the floor under every other row.
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", "Chaos")]
public sealed class BaselineScenario(ChaosClusterFixture fixture, ITestOutputHelper output) : ChaosScenario(fixture, output)
{
    [DockerTheory]
    [ScenarioData(RabbitHaQueueType.Classic)]
    [ScenarioData(RabbitHaQueueType.Quorum)]
    public Task NoFault_SteadyWorkload_LosesNothingAndThrowsNothing(RabbitHaQueueType queueType) =>
        RunAsync("no fault (baseline)", queueType, async workload =>
        {
            var placement = await PlacementAsync(workload);
            workload.MarkFault("none");
            await Task.Delay(TimeSpan.FromSeconds(4));
            return new Fault($"producer on rmq{placement.Producer}, leader on rmq{placement.Leader}", () => Task.CompletedTask);
        });
}
