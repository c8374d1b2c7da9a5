using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitHa.Testing;
using RabbitHa.Testing.Xunit;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Client.IntegrationTests.Consuming;

/// <summary>A handler that never returns, while its queue's master dies: the consumer goes on without it.</summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", "Chaos")]
public sealed class HungHandlerChaosTests(RabbitHaClusterFixture fixture, ITestOutputHelper output)
{
    private const string HungId = "m-000005";
    private static readonly TimeSpan s_recoveryTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan s_resumeTimeout = TimeSpan.FromSeconds(45);

    private IRabbitHaCluster Cluster => fixture.Cluster;

    [DockerFact]
    public async Task HandlerHangingForever_WhileTheQueueMasterFailsOver_OtherMessagesFlow_NoneLost_NoneHandledTwiceAtOnce_AndTheHangIsLogged()
    {
        await using TestQueue testQueue = await TestAmqp.DeclareMirroredQueueAsync(Cluster, "hung-handler");
        string queue = testQueue.Name;
        _ = testQueue.Companion(".dead-letter"); // the consumer's own, if a message ends there: deleted with the queue

        var log = new DeliveryLog();
        var hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var overlaps = new ConcurrentQueue<string>();
        int hungAttempts = 0;
        var behavior = new HandlerBehavior
        {
            BeforeHandled = async (context, _) =>
            {
                string id = context.MessageId!;
                if (running.AddOrUpdate(id, 1, static (_, n) => n + 1) > 1)
                {
                    overlaps.Enqueue(id);
                }

                try
                {
                    if (id == HungId && Interlocked.Increment(ref hungAttempts) == 1)
                    {
                        // Ignores its token: hangs until the test lets it go, long after its message was settled without it.
                        await hang.Task;
                    }
                    else
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(2), CancellationToken.None);
                    }
                }
                finally
                {
                    running.AddOrUpdate(id, 0, static (_, n) => n - 1);
                }
            },
        };
        using var logs = new RecordingLoggerProvider(output);
        string name = "hung-consumer-" + queue;
        using IHost host = ConsumerHost.Build(Cluster, output, name, queue, log, behavior, o =>
        {
            o.PrefetchCount = 16;
            o.Concurrency = 4;
            o.HandlerTimeout = TimeSpan.FromSeconds(2);
        }, logs: logs);
        using var producing = new CancellationTokenSource();
        await using var producer = new TestProducer(Cluster.AmqpUri, queue, output);
        Task<int> production = Task.FromResult(0);
        int? killed = null;
        try
        {
            await host.StartAsync();
            await host.WaitUntilSubscribedAsync();

            // About 40 messages a second, for as long as the failover takes.
            production = Task.Run(() => producer.RunAsync(5_000, TimeSpan.FromMilliseconds(25), producing.Token));
            await Eventually.HoldsAsync(() => Task.FromResult(logs.Count("HandlerHung") > 0), TimeSpan.FromSeconds(30),
                $"the handler of {HungId} is abandoned and logged as hung");

            QueueReplicaState replicas = (await Cluster.GetQueueReplicasAsync(queue))!;
            killed = Cluster.GetNode(replicas.LeaderNode!).Number;
            long killedAt = Stopwatch.GetTimestamp();
            await Cluster.Nodes[killed.Value - 1].KillAsync();
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} killed rmq{killed}, the master of {queue}");
            await Eventually.HoldsAsync(() => Task.FromResult(log.FirstHandledAfter(name, killedAt) is not null), s_resumeTimeout,
                "messages are handled again after the failover, next to the hung handler");
            TimeSpan resumed = Stopwatch.GetElapsedTime(killedAt, log.FirstHandledAfter(name, killedAt)!.Value);
            output.WriteLine($"delivering again {resumed.TotalSeconds:F2} s after the kill");

            await Cluster.Nodes[killed.Value - 1].StartAsync();
            killed = null;
            await Cluster.WaitUntilHealthyAsync(s_recoveryTimeout);

            await producing.CancelAsync();
            int sent = await production;
            string[] confirmed = [.. producer.Confirmed];
            string[] others = confirmed.Where(static id => id != HungId).ToArray();
            await Eventually.HoldsAsync(() => Task.FromResult(others.All(log.HandledIds().Contains)), TimeSpan.FromSeconds(60),
                "every other confirmed message is handled while the handler hangs");
            bool hungCopyHandledWhileHung = log.HandledIds().Contains(HungId);
            HealthReportEntry health = await ConnectionProbe.CheckHealthAsync(host.Services);

            // Let it go: the copy of its message, sent back to the queue when it timed out, is handled after it.
            hang.SetResult();
            await Eventually.HoldsAsync(() => Task.FromResult(confirmed.All(log.HandledIds().Contains)), TimeSpan.FromSeconds(60),
                "every confirmed message is handled, the hung one's too");

            string[] lost = confirmed.Except(log.HandledIds(), StringComparer.Ordinal).ToArray();
            RecordingLoggerProvider.Entry hung = logs.Entries("HandlerHung")[0];
            output.WriteLine($"{sent} published, {confirmed.Length} confirmed; {log.HandledCount} handlings, lost: {lost.Length}, " +
                $"overlaps: {overlaps.Count}, subscriptions ended: {logs.Count("SubscriptionEnded")}; health while hung: {health.Status} ({health.Description})");

            Assert.Empty(lost);
            Assert.Empty(overlaps);
            Assert.False(hungCopyHandledWhileHung, $"a copy of {HungId} was handled while its first handler still ran");
            if (Cluster.RabbitMqProfile == RabbitMqProfile.RabbitMq3)
            {
                // A mirrored classic queue cancels its consumers when its master moves (x-cancel-on-ha-failover): the
                // consumer subscribes again beside the hung handler.
                Assert.True(logs.Count("SubscriptionEnded") >= 1, "the failover ended the subscription");
            }
            else
            {
                // A quorum queue keeps its consumers across a leader election: the failover is the new leader.
                Assert.NotEqual(replicas.LeaderNode, (await Cluster.GetQueueReplicasAsync(queue))?.LeaderNode);
            }

            Assert.Equal(LogLevel.Warning, hung.Level);
            Assert.Contains($"The handler of consumer '{queue}' on message '{HungId}'", hung.Message, StringComparison.Ordinal);
            Assert.Contains("has run for", hung.Message, StringComparison.Ordinal);
            Assert.Contains("held by handlers that ignore their cancellation", health.Description, StringComparison.Ordinal);
            Assert.True(confirmed.Length > 100, $"only {confirmed.Length} messages were confirmed");
        }
        finally
        {
            hang.TrySetResult();
            await producing.CancelAsync();
            await production;
            if (killed is { } node)
            {
                await Cluster.Nodes[node - 1].StartAsync();
            }

            await host.StopAsync();
            await Cluster.WaitUntilHealthyAsync(s_recoveryTimeout);
        }
    }
}
