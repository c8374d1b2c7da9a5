using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Testing;
using RabbitHa.Testing.Xunit;
using RabbitMQ.Client;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Client.IntegrationTests.Consuming;

/// <summary>Consumers on a healthy cluster: delivery guarantees, re-subscription after the broker ends a subscription, dead-lettering, graceful stop.</summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ConsumerTests(RabbitHaClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan s_deliveryTimeout = TimeSpan.FromSeconds(60);

    private IRabbitHaCluster Cluster => fixture.Cluster;

    [DockerFact]
    public async Task ThreeConsumers_WithDeduplication_HandleEachMessageExactlyOnce()
    {
        (Dictionary<string, int> counts, DeliveryLog log, string[] consumers, int total, int resent) = await RunOneProducerThreeConsumersAsync(deduplicate: true);

        Assert.Equal(total, counts.Count);
        Assert.All(counts, pair => Assert.True(pair.Value == 1, $"{pair.Key} was handled {pair.Value} times"));
        Assert.Equal(total, log.HandledCount);
        Assert.All(consumers, c => Assert.True(log.HandledBy(c) > 0, $"{c} handled nothing"));
        output.WriteLine($"{total} messages (+{resent} re-sent copies) handled exactly once by {string.Join(", ", consumers.Select(c => $"{c}: {log.HandledBy(c)}"))}");
    }

    [DockerFact]
    public async Task ThreeConsumers_WithoutDeduplication_HandleEveryMessageAtLeastOnce()
    {
        (Dictionary<string, int> counts, DeliveryLog log, string[] consumers, int total, int resent) = await RunOneProducerThreeConsumersAsync(deduplicate: false);

        Assert.Equal(total, counts.Count);
        Assert.All(counts, pair => Assert.True(pair.Value >= 1, $"{pair.Key} was not handled"));
        Assert.True(log.HandledCount >= total + resent, $"{log.HandledCount} handled, expected at least {total + resent} (every re-sent copy too)");
        output.WriteLine($"{total} messages (+{resent} re-sent copies): {log.HandledCount} handlings by {string.Join(", ", consumers.Select(c => $"{c}: {log.HandledBy(c)}"))}");
    }

    [DockerFact]
    public async Task QueueDeletedAndRedeclared_ConsumerResumesOnTheNewQueue()
    {
        await using TestQueue testQueue = await TestQueue.DeclareAsync(Cluster.AmqpUri, "consumer-redeclared");
        string queue = testQueue.Name;
        var log = new DeliveryLog();
        using IHost host = ConsumerHost.Build(Cluster, output, "consumer-" + queue, queue, log);
        await host.StartAsync();
        try
        {
            await using var producer = new TestProducer(Cluster.AmqpUri, queue, output);
            await producer.RunAsync(10, TimeSpan.Zero, CancellationToken.None);
            await WaitHandledAsync(log, 10);

            await TestAmqp.DeleteQueueAsync(Cluster.AmqpUri, queue);
            await Eventually.HoldsAsync(() => Task.FromResult(!host.Consumer().IsSubscribed), TimeSpan.FromSeconds(10), "the consumer notices the deletion");
            await Task.Delay(TimeSpan.FromSeconds(1));
            var clock = Stopwatch.StartNew();
            await TestAmqp.DeclareQueueAsync(Cluster.AmqpUri, queue);

            await host.WaitUntilSubscribedAsync();
            TimeSpan resubscribed = clock.Elapsed;
            for (int n = 11; n <= 20; n++)
            {
                await producer.PublishAsync(TestProducer.Id(n));
            }

            await WaitHandledAsync(log, 20);
            output.WriteLine($"Resubscribed {resubscribed.TotalMilliseconds:F0} ms after the queue was declared again; delivering after {clock.Elapsed.TotalMilliseconds:F0} ms");
            Assert.Equal(Enumerable.Range(1, 20).Select(TestProducer.Id), log.HandledIds().Order(StringComparer.Ordinal));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [DockerFact]
    public async Task ChannelClosedByTheBroker_ConsumerResubscribesOnANewChannel()
    {
        await using TestQueue testQueue = await TestQueue.DeclareAsync(Cluster.AmqpUri, "consumer-channel-error");
        string queue = testQueue.Name;
        var log = new DeliveryLog();
        using IHost host = ConsumerHost.Build(Cluster, output, "consumer-" + queue, queue, log);
        await host.StartAsync();
        try
        {
            await host.WaitUntilSubscribedAsync();
            IChannel broken = host.Consumer().Supervisor.CurrentChannel!;

            // What a handler acknowledging twice does: the broker closes the channel (PRECONDITION_FAILED, unknown delivery tag).
            await broken.BasicAckAsync(deliveryTag: 424242, multiple: false);
            await Eventually.HoldsAsync(() => Task.FromResult(!broken.IsOpen), TimeSpan.FromSeconds(10), "the broker closes the channel");

            await Eventually.HoldsAsync(
                () => Task.FromResult(host.Consumer().IsSubscribed && !ReferenceEquals(host.Consumer().Supervisor.CurrentChannel, broken)),
                TimeSpan.FromSeconds(10), "the consumer subscribes on a new channel");
            await using var producer = new TestProducer(Cluster.AmqpUri, queue, output);
            await producer.RunAsync(10, TimeSpan.Zero, CancellationToken.None);
            await WaitHandledAsync(log, 10);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [DockerFact]
    public async Task HandlerThrows_MessageRetriedUpToTheLimit_ThenDeadLetteredByTheBroker()
    {
        await using TestQueue testQueue = await TestQueue.DeclareWithDeadLetterQueueAsync(Cluster.AmqpUri, "consumer-poison");
        string queue = testQueue.Name;
        string dlq = testQueue.Companion(".dlq");
        var log = new DeliveryLog();
        var behavior = new HandlerBehavior
        {
            BeforeHandled = (context, _) => context.MessageId == "poison"
                ? throw new InvalidOperationException($"cannot handle poison (attempt {context.DeliveryCount})")
                : Task.CompletedTask,
        };
        using IHost host = ConsumerHost.Build(Cluster, output, "consumer-" + queue, queue, log, behavior, o =>
        {
            o.MaxDeliveryAttempts = 3;
            o.DeadLetterStrategy = RabbitHaDeadLetterStrategy.Broker;
        });
        await host.StartAsync();
        try
        {
            await using var producer = new TestProducer(Cluster.AmqpUri, queue, output);
            await producer.PublishAsync("poison");
            await producer.RunAsync(5, TimeSpan.Zero, CancellationToken.None);

            await WaitHandledAsync(log, 5);
            await Eventually.HoldsAsync(async () => await TestAmqp.MessageCountAsync(Cluster.AmqpUri, dlq) == 1, TimeSpan.FromSeconds(20), "the poison message is in the DLQ");
            List<BasicGetResult> deadLettered = await TestAmqp.DrainAsync(Cluster.AmqpUri, dlq);

            Assert.Equal("poison", Assert.Single(deadLettered).BasicProperties.MessageId);
            Assert.True(deadLettered[0].BasicProperties.Headers?.ContainsKey("x-death"), "the broker marked it dead-lettered (x-death)");
            Assert.Equal(3, log.AttemptsOf("poison"));
            Assert.DoesNotContain("poison", log.HandledIds());
            Assert.Equal(0u, await TestAmqp.MessageCountAsync(Cluster.AmqpUri, queue));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [DockerFact]
    public async Task QuorumQueue_HandlerThrows_AttemptsCountedByTheBroker_ThenDeadLetteredByTheBroker()
    {
        await using TestQueue testQueue = await TestQueue.DeclareWithDeadLetterQueueAsync(Cluster.AmqpUri, "consumer-poison-quorum",
            new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
        string queue = testQueue.Name;
        string dlq = testQueue.Companion(".dlq");
        var log = new DeliveryLog();
        var seenCounts = new List<int>();
        var behavior = new HandlerBehavior
        {
            BeforeHandled = (context, _) =>
            {
                lock (seenCounts)
                {
                    seenCounts.Add(context.DeliveryCount);
                }

                throw new InvalidOperationException("always fails");
            },
        };
        using IHost host = ConsumerHost.Build(Cluster, output, "consumer-" + queue, queue, log, behavior, o =>
        {
            o.MaxDeliveryAttempts = 4;
            o.DeadLetterStrategy = RabbitHaDeadLetterStrategy.Broker;
        });
        await host.StartAsync();
        try
        {
            await TestAmqp.PublishOnceAsync(Cluster.AmqpUri, queue, "poison", "x");
            await Eventually.HoldsAsync(async () => await TestAmqp.MessageCountAsync(Cluster.AmqpUri, dlq) == 1, TimeSpan.FromSeconds(30), "the poison message is in the DLQ");

            Assert.Equal([1, 2, 3, 4], seenCounts);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [DockerFact]
    public async Task BodyThatCannotBeDeserialized_IsDeadLetteredByTheBrokerAtOnce()
    {
        await using TestQueue testQueue = await TestQueue.DeclareWithDeadLetterQueueAsync(Cluster.AmqpUri, "consumer-malformed");
        string queue = testQueue.Name;
        string dlq = testQueue.Companion(".dlq");
        var log = new DeliveryLog();
        using IHost host = ConsumerHost.Build(Cluster, output, "consumer-" + queue, queue, log,
            configure: o => o.DeadLetterStrategy = RabbitHaDeadLetterStrategy.Broker, typed: true);
        await host.StartAsync();
        try
        {
            await TestAmqp.PublishOnceAsync(Cluster.AmqpUri, queue, "malformed", "this is not JSON");
            await TestAmqp.PublishOnceAsync(Cluster.AmqpUri, queue, "good", """{"orderId":"o-1","amount":12.5}""");

            await WaitHandledAsync(log, 1);
            await Eventually.HoldsAsync(async () => await TestAmqp.MessageCountAsync(Cluster.AmqpUri, dlq) == 1, TimeSpan.FromSeconds(20), "the malformed message is in the DLQ");

            Assert.Equal(["o-1"], log.HandledIds());
            Assert.Equal("malformed", Assert.Single(await TestAmqp.DrainAsync(Cluster.AmqpUri, dlq)).BasicProperties.MessageId);
            Assert.Equal(0, log.AttemptsOf("malformed"));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [DockerFact]
    public async Task StopHost_WhileHandlersRun_InFlightMessagesAreAcknowledged_NoneLost()
    {
        await using TestQueue testQueue = await TestQueue.DeclareAsync(Cluster.AmqpUri, "consumer-graceful-stop");
        string queue = testQueue.Name;
        var log = new DeliveryLog();
        int running = 0;
        int runningAtStop = 0;
        var behavior = new HandlerBehavior
        {
            BeforeHandled = async (_, token) =>
            {
                Interlocked.Increment(ref running);
                try
                {
                    // Deliberately not passing the token: stopping must wait for this to finish.
                    await Task.Delay(TimeSpan.FromMilliseconds(400), CancellationToken.None);
                }
                finally
                {
                    Interlocked.Decrement(ref running);
                }
            },
        };
        using IHost host = ConsumerHost.Build(Cluster, output, "consumer-" + queue, queue, log, behavior, o =>
        {
            o.PrefetchCount = 8;
            o.Concurrency = 4;
        });
        const int total = 60;
        await TestProducer.RunOnceAsync(Cluster.AmqpUri, queue, output, total);

        await host.StartAsync();
        await Eventually.HoldsAsync(() => Task.FromResult(log.HandledCount >= 8 && Volatile.Read(ref running) > 0), s_deliveryTimeout, "handlers are running");
        runningAtStop = Volatile.Read(ref running);
        await host.StopAsync();

        HashSet<string> handled = log.HandledIds();
        HashSet<string> remaining = (await TestAmqp.DrainAsync(Cluster.AmqpUri, queue)).Select(m => m.BasicProperties.MessageId!).ToHashSet(StringComparer.Ordinal);
        output.WriteLine($"Stopped with {runningAtStop} handler(s) running: {handled.Count} handled and acknowledged, {remaining.Count} back in the queue");

        Assert.True(runningAtStop > 0);
        Assert.Equal(0, Volatile.Read(ref running));
        Assert.Empty(handled.Intersect(remaining));
        Assert.Equal(Enumerable.Range(1, total).Select(TestProducer.Id).ToHashSet(StringComparer.Ordinal), handled.Union(remaining).ToHashSet(StringComparer.Ordinal));
    }

    [DockerFact]
    public async Task StopHost_WhenHandlersOutlastStopTimeout_CancelsThemAndTheBrokerRequeuesTheirMessages()
    {
        await using TestQueue testQueue = await TestQueue.DeclareAsync(Cluster.AmqpUri, "consumer-stop-timeout");
        string queue = testQueue.Name;
        var log = new DeliveryLog();
        int started = 0;
        var behavior = new HandlerBehavior
        {
            BeforeHandled = async (_, token) =>
            {
                Interlocked.Increment(ref started);
                await Task.Delay(TimeSpan.FromSeconds(30), token);
            },
        };
        using IHost host = ConsumerHost.Build(Cluster, output, "consumer-" + queue, queue, log, behavior, o =>
        {
            o.PrefetchCount = 4;
            o.Concurrency = 2;
            o.StopTimeout = TimeSpan.FromMilliseconds(300);
        });
        const int total = 10;
        await TestProducer.RunOnceAsync(Cluster.AmqpUri, queue, output, total);

        await host.StartAsync();
        await Eventually.HoldsAsync(() => Task.FromResult(Volatile.Read(ref started) >= 2), s_deliveryTimeout, "two handlers are running");
        var clock = Stopwatch.StartNew();
        await host.StopAsync();
        output.WriteLine($"Stopped in {clock.Elapsed.TotalMilliseconds:F0} ms");

        List<BasicGetResult> remaining = await TestAmqp.DrainAsync(Cluster.AmqpUri, queue);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"stop took {clock.Elapsed}");
        Assert.Equal(0, log.HandledCount);
        Assert.Equal(total, remaining.Select(m => m.BasicProperties.MessageId).Distinct().Count());
    }

    private async Task<(Dictionary<string, int> Counts, DeliveryLog Log, string[] Consumers, int Total, int Resent)> RunOneProducerThreeConsumersAsync(bool deduplicate)
    {
        const int total = 600;
        const int resendEvery = 10;
        await using TestQueue testQueue = await TestQueue.DeclareAsync(Cluster.AmqpUri, deduplicate ? "consumer-exactly-once" : "consumer-at-least-once");
        string queue = testQueue.Name;
        var log = new DeliveryLog();

        // Three processes sharing one store, as they would share a database in production.
        var store = new InMemoryRabbitHaDeduplicationStore();
        string[] consumers = Enumerable.Range(1, 3).Select(i => $"consumer-{i}-{queue}").ToArray();
        IHost[] hosts = consumers.Select(name => ConsumerHost.Build(Cluster, output, name, queue, log, new HandlerBehavior
        {
            BeforeHandled = (_, token) => Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(0, 3)), token),
        }, o =>
        {
            o.DeduplicateByMessageId = deduplicate;
            o.PrefetchCount = 16;
            o.Concurrency = 4;
        }, store)).ToArray();
        try
        {
            foreach (IHost host in hosts)
            {
                await host.StartAsync();
            }

            // Every tenth message is sent twice, the second time flagged as re-sent, as the publisher does after a lost confirm.
            int resent = 0;
            await using (var producer = new TestProducer(Cluster.AmqpUri, queue, output))
            {
                for (int n = 1; n <= total; n++)
                {
                    await producer.PublishAsync(TestProducer.Id(n));
                    if (n % resendEvery == 0)
                    {
                        await producer.PublishAsync(TestProducer.Id(n), resent: true);
                        resent++;
                    }
                }
            }

            await Eventually.HoldsAsync(() => Task.FromResult(log.HandledIds().Count == total), s_deliveryTimeout, $"all {total} messages handled");
            await Eventually.HoldsAsync(async () => await TestAmqp.MessageCountAsync(Cluster.AmqpUri, queue) == 0, s_deliveryTimeout, "the queue is empty");

            // Settle: any copy still in a consumer's hands is handled (or dropped) and acknowledged by now.
            await Task.Delay(TimeSpan.FromSeconds(1));
            return (log.CountsById(), log, consumers, total, resent);
        }
        finally
        {
            foreach (IHost host in hosts)
            {
                await host.StopAsync();
                host.Dispose();
            }
        }
    }

    private static async Task WaitHandledAsync(DeliveryLog log, int count) =>
        await Eventually.HoldsAsync(() => Task.FromResult(log.HandledIds().Count >= count), s_deliveryTimeout, $"{count} messages handled");
}
