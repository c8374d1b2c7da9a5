using RabbitHa.Client;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Chaos;

/// <summary>
/// Scenarios 1, 2 and 7 of the chaos suite: a node killed (SIGKILL), a node stopped gracefully and started again,
/// every node restarted one after the other; on a mirrored classic queue and on a quorum queue (on RabbitMQ 4, which
/// mirrors nothing, the classic rows are skipped: <see cref="ScenarioDataAttribute"/>). RabbitHa promises that the
/// producer's caller sees no exception and that every confirmed message is handled.
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", "Chaos")]
public sealed class NodeFailureScenarios(ChaosClusterFixture fixture, ITestOutputHelper output) : ChaosScenario(fixture, output)
{
    /// <summary>How long after a kill before the suite looks for the flow again: HAProxy takes a dead node out in 2-3 s.</summary>
    private static readonly TimeSpan KillSettle = TimeSpan.FromSeconds(4);

    [DockerTheory]
    [ScenarioData(RabbitHaQueueType.Classic, 1)]
    [ScenarioData(RabbitHaQueueType.Classic, 2)]
    [ScenarioData(RabbitHaQueueType.Classic, 3)]
    [ScenarioData(RabbitHaQueueType.Quorum, 1)]
    [ScenarioData(RabbitHaQueueType.Quorum, 2)]
    [ScenarioData(RabbitHaQueueType.Quorum, 3)]
    public Task KillNode_WhileMessagesFlow_LosesNothingAndThrowsNothing(RabbitHaQueueType queueType, int node) =>
        RunAsync($"kill -9 rmq{node}", queueType, workload => KillAsync(workload, _ => node));

    /// <summary>
    /// Whichever node HAProxy gave the producer's publishing connection: the case where unconfirmed publishes must be
    /// re-sent; in both shapes, the one README recommends (every app publishes and consumes) and one role per connection.
    /// </summary>
    [DockerTheory]
    [ScenarioData(RabbitHaQueueType.Classic, WorkloadShape.OneApp)]
    [ScenarioData(RabbitHaQueueType.Quorum, WorkloadShape.OneApp)]
    [ScenarioData(RabbitHaQueueType.Classic, WorkloadShape.OneRolePerConnection)]
    [ScenarioData(RabbitHaQueueType.Quorum, WorkloadShape.OneRolePerConnection)]
    public Task KillTheProducersNode_WhileMessagesFlow_LosesNothingAndThrowsNothing(RabbitHaQueueType queueType, WorkloadShape shape) =>
        RunAsync("kill -9 the producer's node", queueType, workload => KillAsync(workload, placement => placement.Producer),
            new WorkloadOptions { Shape = shape });

    /// <summary>
    /// The producer's node killed while every connection speaks AMQP over TLS, passed through HAProxy to the nodes and
    /// checked against the cluster's own CA (<c>Tls:CaCertificatePath</c>): the recovery includes a TLS handshake.
    /// </summary>
    [DockerTheory]
    [ScenarioData(RabbitHaQueueType.Classic)]
    [ScenarioData(RabbitHaQueueType.Quorum)]
    public Task KillTheProducersNode_OverTls_WhileMessagesFlow_LosesNothingAndThrowsNothing(RabbitHaQueueType queueType) =>
        RunAsync("kill -9 the producer's node, amqps", queueType, workload => KillAsync(workload, placement => placement.Producer),
            new WorkloadOptions { Tls = true });

    /// <summary>The queue leader's node, stopped cleanly (its master or leader moves), then started again while messages flow.</summary>
    [DockerTheory]
    [ScenarioData(RabbitHaQueueType.Classic)]
    [ScenarioData(RabbitHaQueueType.Quorum)]
    public Task StopAndStartTheLeadersNode_WhileMessagesFlow_LosesNothingAndThrowsNothing(RabbitHaQueueType queueType) =>
        RunAsync("graceful stop + start of the leader's node", queueType, async workload =>
        {
            var placement = await PlacementAsync(workload);
            int node = placement.Leader;
            bool stopped = false;
            try
            {
                workload.MarkFault($"graceful stop of rmq{node}");
                stopped = true;
                await Cluster.Nodes[node - 1].StopAsync();
                await Task.Delay(TimeSpan.FromSeconds(1));
                await workload.WaitUntilFlowingAsync(FlowTimeout, $"rmq{node} stopped");
                workload.MarkFault($"start of rmq{node}");
                await Cluster.Nodes[node - 1].StartAsync();
                stopped = false;
                await Cluster.WaitUntilHealthyAsync(RecoveryTimeout);
                await workload.WaitUntilFlowingAsync(FlowTimeout, $"rmq{node} started");
            }
            finally
            {
                if (stopped)
                {
                    await Cluster.Nodes[node - 1].StartAsync();
                }
            }

            return new Fault($"{Describe(placement)}; stopped rmq{node}", () => Task.CompletedTask);
        });

    /// <summary>
    /// rmq1, rmq2, rmq3 stopped and started one after the other, each back (and the queue's replica on it
    /// synchronised) before the next goes: a rolling upgrade. Without the wait, a classic master would refuse to move
    /// to an unsynchronised mirror on a clean shutdown (<c>ha-promote-on-shutdown: when-synced</c>).
    /// </summary>
    [DockerTheory]
    [ScenarioData(RabbitHaQueueType.Classic)]
    [ScenarioData(RabbitHaQueueType.Quorum)]
    public Task RollingRestart_WhileMessagesFlow_LosesNothingAndThrowsNothing(RabbitHaQueueType queueType) =>
        RunAsync("rolling restart rmq1, rmq2, rmq3", queueType, async workload =>
        {
            var placement = await PlacementAsync(workload);
            for (int node = 1; node <= Cluster.NodeCount; node++)
            {
                try
                {
                    workload.MarkFault($"graceful stop of rmq{node}");
                    await Cluster.Nodes[node - 1].StopAsync();
                }
                finally
                {
                    workload.MarkFault($"start of rmq{node}");
                    await Cluster.Nodes[node - 1].StartAsync();
                }

                await Cluster.WaitUntilHealthyAsync(RecoveryTimeout);
                await Eventually.HoldsAsync(async () => await Cluster.GetQueueReplicasAsync(workload.Queue) is { SynchronisedMirrors.Count: 2 },
                    RecoveryTimeout, $"{workload.Queue} has a synchronised replica on every node again");
                await workload.WaitUntilFlowingAsync(FlowTimeout, $"rmq{node} restarted");
            }

            return new Fault(Describe(placement), () => Task.CompletedTask);
        });

    private async Task<Fault> KillAsync(Workload workload, Func<(int Producer, int Leader), int> victim)
    {
        var placement = await PlacementAsync(workload);
        int node = victim(placement);
        workload.MarkFault($"kill -9 rmq{node}");
        await Cluster.Nodes[node - 1].KillAsync();
        bool restored = false;
        await Task.Delay(KillSettle);
        return new Fault($"{Describe(placement)}; killed rmq{node}", async () =>
        {
            if (!restored)
            {
                restored = true;
                await Cluster.Nodes[node - 1].StartAsync();
            }
        });
    }

    private static string Describe((int Producer, int Leader) placement) => $"producer on rmq{placement.Producer}, leader on rmq{placement.Leader}";
}
