using RabbitHa.Client;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Chaos;

/// <summary>
/// Scenario 9: the producer's node frozen (<c>docker pause</c>: every process stopped by the cgroup freezer) while messages
/// flow, then thawed. A frozen node is the failure a client notices last: its kernel still accepts and acknowledges TCP, so
/// nothing breaks the connection; only heartbeats (RabbitHa's default 30 s) would, and confirms simply stop.
/// </summary>
/// <remarks>
/// <para>
/// HAProxy's AMQP health check (docker/haproxy/haproxy.cfg) marks the node DOWN after two failed checks, about 2 s, and
/// cuts its sessions (<c>on-marked-down shutdown-sessions</c>): the clients recover through HAProxy on a live node and re-send
/// what was unconfirmed.
/// </para>
/// <para>
/// Two lengths: shorter than the cluster's failure detection (<c>net_ticktime</c> 10 s: the other nodes notice a silent
/// peer after 8-13 s), where the cluster waits for the node and a queue leader on it holds its queue's confirms until it
/// thaws; and longer, where the cluster gives the node up: a new leader is chosen, and the thawed node finds itself cut off.
/// pause_minority does not always heal that (the node may find the others again before it decides to pause), so the
/// scenario restarts the node if the cluster still reports a partition once it has thawed, as an operator would.
/// </para>
/// </remarks>
[Collection(ChaosCollection.Name)]
[Trait("Category", "Chaos")]
public sealed class FrozenNodeScenario(ChaosClusterFixture fixture, ITestOutputHelper output) : ChaosScenario(fixture, output)
{
    /// <summary>How long after a thaw before the scenario decides that the cluster did not heal by itself.</summary>
    private static readonly TimeSpan HealWait = TimeSpan.FromSeconds(20);

    [DockerTheory]
    [ScenarioData(RabbitHaQueueType.Classic, 6)]
    [ScenarioData(RabbitHaQueueType.Quorum, 6)]
    [ScenarioData(RabbitHaQueueType.Quorum, 20, Slow = true)]
    public Task FreezeTheProducersNode_ThenThawIt_LosesNothingAndThrowsNothing(RabbitHaQueueType queueType, int seconds) =>
        RunAsync($"producer's node frozen {seconds} s", queueType, async workload =>
        {
            var placement = await PlacementAsync(workload);
            int node = placement.Producer;
            string notes = $"producer on rmq{placement.Producer}, leader on rmq{placement.Leader}; froze rmq{node} {seconds} s";
            try
            {
                workload.MarkFault($"rmq{node} frozen");
                await Cluster.Nodes[node - 1].PauseAsync();
                await Task.Delay(TimeSpan.FromSeconds(seconds));
            }
            finally
            {
                workload.MarkFault($"rmq{node} thawed");
                await Cluster.Nodes[node - 1].UnpauseAsync();
            }

            try
            {
                await Cluster.WaitUntilHealthyAsync(HealWait);
            }
            catch (TimeoutException ex)
            {
                Output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} the cluster did not heal by itself within {HealWait.TotalSeconds:F0} s of the thaw, restarting rmq{node}: {ex.Message}");
                notes += $"; not healed {HealWait.TotalSeconds:F0} s after the thaw: rmq{node} restarted";
                workload.MarkFault($"rmq{node} restarted");
                await Cluster.Nodes[node - 1].StopAsync();
                await Cluster.Nodes[node - 1].StartAsync();
                await Cluster.WaitUntilHealthyAsync(RecoveryTimeout);
            }

            return new Fault(notes, () => Task.CompletedTask);
        });
}
