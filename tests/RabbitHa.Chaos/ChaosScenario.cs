using RabbitHa.Client;
using RabbitHa.Testing;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Chaos;

/// <summary>A fault that a scenario injected, and how to undo it if the scenario has not (called in <c>finally</c>).</summary>
/// <param name="Notes">What was done where, for the report.</param>
/// <param name="Restore">Undoes the fault; must be harmless when the scenario already did.</param>
internal sealed record Fault(string Notes, Func<Task> Restore);

/// <summary>
/// The frame of every scenario: start the <see cref="Workload"/>, let it run, inject the fault, wait until messages
/// flow again (producer confirming, every consumer handling), run a little longer, stop the producer, wait until every
/// confirmed message is handled, close the books, undo the fault, wait until the cluster is healthy, report, assert.
/// Repeated <see cref="ChaosSettings.Rounds"/> times (soak mode).
/// </summary>
public abstract class ChaosScenario(ChaosClusterFixture fixture, ITestOutputHelper output)
{
    /// <summary>How long the workload runs before the fault: long enough for the management API to list its connections.</summary>
    protected static readonly TimeSpan Warmup = TimeSpan.FromSeconds(2.5);

    /// <summary>How long the workload runs on once messages flow again, so the pause measured has surely ended.</summary>
    protected static readonly TimeSpan Tail = TimeSpan.FromSeconds(2);

    protected static readonly TimeSpan FlowTimeout = TimeSpan.FromSeconds(60);

    protected static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    protected static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(90);

    protected IRabbitHaCluster Cluster => fixture.Cluster;

    /// <summary>
    /// The queue of the scenarios that run on one queue type: RabbitHa's default, the mirrored classic queue, where the
    /// cluster replicates it (RabbitMQ 3); a quorum queue on RabbitMQ 4, which replicates no classic queue.
    /// </summary>
    protected RabbitHaQueueType ReplicatedQueueType => Cluster.RabbitMqProfile == RabbitMqProfile.RabbitMq3 ? RabbitHaQueueType.Classic : RabbitHaQueueType.Quorum;

    protected ITestOutputHelper Output => output;

    /// <summary>Runs the scenario for every round, asserting after each: no exception at the producer's caller, nothing confirmed lost, every consumer back.</summary>
    internal async Task RunAsync(string scenario, RabbitHaQueueType queueType, Func<Workload, Task<Fault>> inject, WorkloadOptions? options = null)
    {
        for (int round = 1; round <= ChaosSettings.Rounds; round++)
        {
            await using Workload workload = await Workload.StartAsync(Cluster, queueType, output, options);
            Fault? fault = null;
            WorkloadResult result;
            try
            {
                await Task.WhenAll(Task.Delay(Warmup), PlacementAsync(workload));
                fault = await inject(workload);
                await workload.WaitUntilFlowingAsync(FlowTimeout, scenario);
                await Task.Delay(Tail);
                await workload.StopProducerAsync();
                await workload.WaitUntilDrainedAsync(DrainTimeout);
                result = await workload.FinishAsync();
            }
            finally
            {
                if (fault is not null)
                {
                    await fault.Restore();
                }
            }

            await Cluster.WaitUntilHealthyAsync(RecoveryTimeout);
            Report(scenario, queueType, workload.Shape, round, result, result.SlowestConsumer, fault.Notes);

            Assert.Empty(result.Exceptions);
            Assert.Empty(result.Lost);
            Assert.All(result.ConsumersResumed, (resumed, i) => Assert.True(resumed, $"consumer {i + 1} never handled a message after the fault"));
            Assert.True(result.Confirmed > 1_000, $"only {result.Confirmed} messages were confirmed: the workload did not run");
        }
    }

    /// <summary>Where the producer's connection and the queue's leader were when the workload started.</summary>
    internal async Task<(int Producer, int Leader)> PlacementAsync(Workload workload)
    {
        // Asked once, during the warm-up: a management query is not free for a node on a loaded machine.
        if (workload.Placement is { } known)
        {
            return known;
        }

        int? producer = null;
        string? leader = null;
        await Eventually.HoldsAsync(async () =>
        {
            // The management API lists a new connection with its next statistics emission, within seconds.
            producer ??= (await Cluster.FindConnectionNodeAsync(workload.ProducerConnection.ClientProvidedName))?.Number;
            leader ??= (await Cluster.GetQueueReplicasAsync(workload.Queue))?.LeaderNode;
            return producer is not null && leader is not null;
        }, TimeSpan.FromSeconds(20), "the management API lists the producer's connection and the queue's leader");
        workload.Placement = (producer!.Value, Cluster.GetNode(leader!).Number);
        return workload.Placement.Value;
    }

    internal void Report(string scenario, RabbitHaQueueType queueType, WorkloadShape shape, int round, WorkloadResult result, Interruption? consuming, string notes)
    {
        var row = new ChaosReportRow(scenario, queueType, shape, (int)Cluster.RabbitMqProfile, round, result.Published, result.Confirmed, result.Handled, result.Duplicates,
            result.Lost.Count, result.Exceptions.Count, result.Publishing, consuming, notes);
        ChaosReport.Add(row);
        output.WriteLine(string.Empty);
        output.WriteLine(ChaosReport.ToMarkdown([row]));
        foreach (Exception ex in result.Exceptions.Take(5))
        {
            output.WriteLine($"exception at the producer's caller: {ex}");
        }
    }
}
