using RabbitHa.Client;
using RabbitHa.Testing;
using RabbitHa.Testing.Xunit;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Chaos;

/// <summary>
/// Scenario 4: the queue leader's node cut off from the other nodes and HAProxy (<c>docker network disconnect</c>)
/// while messages flow, until the majority has noticed, then reconnected.
/// </summary>
/// <remarks>
/// <para>
/// The cluster runs <c>cluster_partition_handling = pause_minority</c> (docker/rabbitmq/rabbitmq.conf): the cut-off node
/// pauses itself instead of serving writes the majority will never see, and heals by itself once reconnected. It runs
/// <c>net_ticktime</c> 10 s (docker/rabbitmq/advanced.config): the majority notices a lost peer after 0.75-1.25 x that,
/// 8-13 s. With RabbitMQ's default of 60 s, confirms on a queue whose master or a mirror sits behind the partition
/// stall for 45-75 s: above the publisher's 30 s <see cref="RabbitHaPublisherOptions.ConfirmTimeout"/>, so it would
/// re-send what is only delayed (duplicates), though still well within its 2 min publish timeout.
/// </para>
/// <para>
/// HAProxy loses the node at once and cuts its sessions within ~2 s; the clients recover on the majority and
/// re-send what was unconfirmed, but those confirms wait until the majority has given up on the cut-off master and
/// promoted a mirror. While the majority has not noticed, its management API may not answer either.
/// </para>
/// <para>
/// On RabbitMQ 3 the queue is a mirrored classic queue; on RabbitMQ 4 a quorum queue, whose leader the majority re-elects
/// by itself (Raft) while the cut-off node pauses.
/// </para>
/// </remarks>
[Collection(ChaosCollection.Name)]
[Trait("Category", "Chaos")]
public sealed class PartitionScenario(ChaosClusterFixture fixture, ITestOutputHelper output) : ChaosScenario(fixture, output)
{
    [DockerFact]
    public Task CutTheLeadersNodeOff_ThenReconnect_LosesNothingAndThrowsNothing() =>
        RunAsync("network partition of the leader's node", ReplicatedQueueType, async workload =>
        {
            var placement = await PlacementAsync(workload);
            int node = placement.Leader;
            string nodeName = Cluster.Nodes[node - 1].NodeName;
            try
            {
                workload.MarkFault($"rmq{node} disconnected");
                await Cluster.Nodes[node - 1].DisconnectAsync();
                TimeSpan noticed = await Eventually.HoldsDespiteErrorsAsync(
                    async () => (await Cluster.GetNodeStatesAsync()).Single(n => n.NodeName == nodeName) is { IsRunning: false },
                    TimeSpan.FromSeconds(60), $"the majority sees {nodeName} as not running");
                Output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} the majority noticed the partition after {noticed.TotalSeconds:F1} s");
                await workload.WaitUntilFlowingAsync(FlowTimeout, $"rmq{node} was cut off");
                // Reconnected before it has paused, the node may find itself in the majority again and stay partitioned for good.
                TimeSpan? paused = await Eventually.ReachedWithinAsync(
                    async () => (await Cluster.Nodes[node - 1].GetLogAsync()).Contains("Cluster minority/secondary status detected", StringComparison.Ordinal),
                    TimeSpan.FromSeconds(45));
                if (paused is { } after)
                {
                    Output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} rmq{node} paused itself (pause_minority) {after.TotalSeconds:F1} s after the flow resumed");
                }
                else if (Cluster.RabbitMqProfile == RabbitMqProfile.RabbitMq3)
                {
                    throw new TimeoutException($"Not reached within 45 s: rmq{node} pauses itself (pause_minority)");
                }
                else
                {
                    // Seen on RabbitMQ 4.0.5 (a local run of the CI subset): the cut-off node's node monitor logged its first peer
                    // down, then handled the second only when the network came back 48 s later, so it paused itself
                    // only then, restarted and rejoined. What is asserted below (healed, no partition, the books) holds.
                    Output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} rmq{node} has not paused itself 45 s after the flow resumed " +
                                     "(RabbitMQ 4: it may pause only once reconnected); reconnecting it anyway");
                }
            }
            finally
            {
                workload.MarkFault($"rmq{node} reconnected");
                await Cluster.Nodes[node - 1].ReconnectAsync();
            }

            // The paused minority node heals by itself: back in the cluster and UP in HAProxy.
            await Cluster.WaitUntilHealthyAsync(RecoveryTimeout);
            Assert.All(await Cluster.GetNodeStatesAsync(), n => Assert.Empty(n.Partitions));
            return new Fault($"producer on rmq{placement.Producer}, leader on rmq{placement.Leader}; cut rmq{node} off", () => Task.CompletedTask);
        });
}
