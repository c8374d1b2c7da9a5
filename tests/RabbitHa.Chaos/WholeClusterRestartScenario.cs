using RabbitHa.Client;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Chaos;

/// <summary>
/// Scenario 8: the whole cluster stopped while messages flow (rmq1, rmq2, rmq3 one after the other, gracefully), down for
/// 10 s, then started again: in the order RabbitMQ asks for (the last to stop first) or in the "wrong" one (the first to
/// stop first), which the seed warns about.
/// </summary>
/// <remarks>
/// <para>
/// While no node runs, HAProxy refuses every connection; the applications' connections retry by themselves, publishes
/// wait for them (the publisher's 2 min <see cref="RabbitHaPublisherOptions.PublishTimeout"/> is longer than the outage;
/// past it they would fail with <see cref="RabbitHaPublishFailureReason.TimedOut"/>), and the consumers subscribe again once their
/// connection is back. The queue is durable and the messages persistent: what was confirmed before the stop is on disk.
/// </para>
/// <para>
/// The reported publishing pause runs from the first stop to the first confirm after the start, so it includes the stop
/// itself (a few seconds per node) and the boot of the cluster.
/// </para>
/// </remarks>
[Collection(WholeClusterChaosCollection.Name)]
[Trait("Category", "Chaos")]
public sealed class WholeClusterRestartScenario(ChaosClusterFixture fixture, ITestOutputHelper output) : ChaosScenario(fixture, output)
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);

    private static readonly int[] StopOrder = [1, 2, 3];

    [DockerTheory]
    [ScenarioData(RabbitHaQueueType.Classic, StartOrder.FirstStoppedFirst)]
    [ScenarioData(RabbitHaQueueType.Quorum, StartOrder.FirstStoppedFirst)]
    [ScenarioData(RabbitHaQueueType.Quorum, StartOrder.LastStoppedFirst, Slow = true)]
    public Task StopEveryNode_ThenStartThemAgain_LosesNothingAndThrowsNothing(RabbitHaQueueType queueType, StartOrder order) =>
        RunAsync($"whole cluster stopped {Outage.TotalSeconds:F0} s, {(order == StartOrder.LastStoppedFirst ? "started last-stopped first" : "started in the wrong order")}",
            queueType, async workload =>
            {
                var placement = await PlacementAsync(workload);
                int[] startOrder = order == StartOrder.LastStoppedFirst ? [.. StopOrder.Reverse()] : StopOrder;
                bool stopped = false;
                try
                {
                    workload.MarkFault("whole-cluster stop");
                    stopped = true;
                    await Cluster.StopAllNodesAsync(StopOrder);
                    await Task.Delay(Outage);
                }
                finally
                {
                    if (stopped)
                    {
                        workload.MarkFault("whole-cluster start");
                        await Cluster.StartAllNodesAsync(startOrder);
                    }
                }

                await Cluster.WaitUntilHealthyAsync(RecoveryTimeout);
                return new Fault(
                    $"producer on rmq{placement.Producer}, leader on rmq{placement.Leader}; stopped rmq{string.Join(", rmq", StopOrder)}, started rmq{string.Join(", rmq", startOrder)}",
                    () => Task.CompletedTask);
            });

    /// <summary>In which order the nodes start again after the whole cluster stopped.</summary>
    public enum StartOrder
    {
        /// <summary>The node that stopped last starts first, as RabbitMQ asks.</summary>
        LastStoppedFirst,

        /// <summary>The node that stopped first starts first: it waits for the one that stopped last.</summary>
        FirstStoppedFirst,
    }
}
