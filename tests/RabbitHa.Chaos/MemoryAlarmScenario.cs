using RabbitHa.Client;
using RabbitHa.Testing.Xunit;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Chaos;

/// <summary>
/// Scenario 5: a memory alarm on one node for 5 s. The whole cluster blocks publishing connections; the producer's
/// publishes wait (the blocked time counts against the 2 min publish timeout) and go out once it is cleared, while the
/// consumers drain the queue.
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", "Chaos")]
public sealed class MemoryAlarmScenario(ChaosClusterFixture fixture, ITestOutputHelper output) : ChaosScenario(fixture, output)
{
    private const int AlarmNode = 1;

    [DockerTheory]
    [InlineData(WorkloadShape.OneApp)]
    [InlineData(WorkloadShape.OneRolePerConnection)]
    public Task RaiseAMemoryAlarmFor5Seconds_WhileMessagesFlow_LosesNothingAndThrowsNothing(WorkloadShape shape) =>
        RunAsync($"memory alarm on rmq{AlarmNode} for 5 s", ReplicatedQueueType, async workload =>
        {
            var placement = await PlacementAsync(workload);
            bool blocked;
            try
            {
                workload.MarkFault($"memory alarm on rmq{AlarmNode}");
                await Cluster.Nodes[AlarmNode - 1].RaiseMemoryAlarmAsync();
                await Task.Delay(TimeSpan.FromSeconds(5));
                blocked = workload.ProducerConnection.IsBlocked;
            }
            finally
            {
                await Cluster.Nodes[AlarmNode - 1].ClearMemoryAlarmAsync();
            }

            Assert.True(blocked, "the producer's connection was not blocked by the alarm");
            await Task.Delay(TimeSpan.FromSeconds(0.5));
            return new Fault($"producer on rmq{placement.Producer}, leader on rmq{placement.Leader}; producer blocked", () => Task.CompletedTask);
        }, new WorkloadOptions { Shape = shape });
}
