using RabbitHa.Client;
using RabbitHa.Testing;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Chaos;

/// <summary>
/// Scenario 6: the queue's master (leader) node killed while a backlog is published as fast as the window allows, no
/// consumer running, half of it confirmed: the moment the mirrors lag furthest behind the master. The case where
/// mirrored classic queues can lose messages; shown next to a quorum queue.
/// </summary>
/// <remarks>
/// <para>
/// What RabbitMQ documents for classic mirrored queues (rabbitmq.com/docs/3.13/ha, "Unsynchronised Mirrors",
/// "Promotion of mirrors", "Publisher Confirms and Transactions"): a publish to a mirrored queue is confirmed only once
/// every mirror in the queue's current mirror set has accepted it. When the master's node fails, the oldest mirror is
/// promoted; with <c>ha-promote-on-failure: always</c> (the default) even an unsynchronised one, i.e. a mirror that
/// joined after messages were already in the queue and has not received them. Messages held only by the old master are
/// then lost — and those can be confirmed messages, because they were confirmed by the mirror set of their time. With
/// <c>ha-sync-mode: automatic</c> (this cluster's <c>ha-all</c> policy) a joining mirror is synchronised at once, so
/// the window is the length of a synchronisation, not until consumers drain the queue.
/// </para>
/// <para>
/// Here every mirror joined before the first message (the scenario waits for two synchronised mirrors), so the promoted
/// mirror holds every confirmed message: lost = 0 is what the documentation promises and what is asserted, together with
/// "the new master is one of the mirrors that were synchronised". Messages in flight at the kill are not confirmed; RabbitHa's
/// publisher re-sends them (marked <c>x-rabbitha-resent</c>) to the new master, which can make duplicates but loses
/// nothing, and the caller sees no exception. What RabbitHa cannot do is bring back a confirmed message that an
/// unsynchronised promotion dropped: against that, use quorum queues, which confirm only what a majority of their
/// members has written, elect a new leader only from members that hold every committed entry (Raft), and so never
/// lose a confirmed message while a majority survives — asserted here as lost = 0 for the quorum queue too.
/// </para>
/// </remarks>
[Collection(ChaosCollection.Name)]
[Trait("Category", "Chaos")]
public sealed class MasterKilledWithBacklogScenario(ChaosClusterFixture fixture, ITestOutputHelper output) : ChaosScenario(fixture, output)
{
    private const int Backlog = 20_000;

    [DockerTheory]
    [ScenarioData(RabbitHaQueueType.Classic)]
    [ScenarioData(RabbitHaQueueType.Quorum)]
    public async Task KillTheMasterHalfWayThroughABacklog_LosesNoConfirmedMessage(RabbitHaQueueType queueType)
    {
        for (int round = 1; round <= ChaosSettings.Rounds; round++)
        {
            await using Workload workload = await Workload.CreateAsync(Cluster, queueType, Output,
                new WorkloadOptions { Rate = 0, Window = 256, MessageCount = Backlog });
            QueueReplicaState before = (await Cluster.GetQueueReplicasAsync(workload.Queue))!;
            int master = Cluster.GetNode(before.LeaderNode!).Number;
            string[] synchronised = [.. before.SynchronisedMirrors];

            workload.StartProducer();
            await Eventually.HoldsAsync(() => Task.FromResult(workload.Confirmed >= Backlog / 2), TimeSpan.FromSeconds(60), "half the backlog is confirmed");
            workload.MarkFault($"kill -9 rmq{master}, the queue's master");
            await Cluster.Nodes[master - 1].KillAsync();
            int killedAt = workload.Confirmed;
            QueueReplicaState? after = null;
            TimeSpan? promotedIn = null;
            try
            {
                promotedIn = await Eventually.HoldsDespiteErrorsAsync(
                    async () => (after = await Cluster.GetQueueReplicasAsync(workload.Queue)) is { LeaderNode: { } leader } && leader != before.LeaderNode,
                    TimeSpan.FromSeconds(30), "a new master is promoted");
            }
            catch (TimeoutException ex)
            {
                Output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {ex.Message}; the queue is {after}");
            }
            finally
            {
                // Back to three nodes, as an operator would: what is measured here is loss, not how long two nodes serve.
                await Cluster.Nodes[master - 1].StartAsync();
            }

            await workload.WaitUntilPublishedAsync(TimeSpan.FromMinutes(3));
            await workload.StartConsumersAsync();
            await workload.WaitUntilDrainedAsync(TimeSpan.FromSeconds(60));
            WorkloadResult result = await workload.FinishAsync();

            await Cluster.WaitUntilHealthyAsync(RecoveryTimeout);
            bool promotedSynchronised = promotedIn is not null && synchronised.Contains(after!.LeaderNode);
            Report($"master killed half-way through a {Backlog} backlog", queueType, workload.Shape, round, result, consuming: null,
                promotedIn is null
                    ? $"killed rmq{master} at {killedAt} confirmed; NO new leader reported within 30 s"
                    : $"killed rmq{master} at {killedAt} confirmed; new leader rmq{Cluster.GetNode(after!.LeaderNode!).Number} after {promotedIn.Value.TotalSeconds:F1} s, {(promotedSynchronised ? "was" : "was NOT")} synchronised; consumers started after the kill");

            Assert.Empty(result.Exceptions);
            Assert.Equal(Backlog, result.Confirmed);
            Assert.True(promotedSynchronised, $"{after?.LeaderNode ?? "no node"} was promoted, but only {string.Join(", ", synchronised)} were synchronised");
            Assert.Empty(result.Lost);
        }
    }
}
