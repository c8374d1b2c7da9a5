using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitHa.Client.IntegrationTests.Consuming;
using RabbitHa.Testing;
using RabbitHa.Testing.Xunit;
using RabbitMQ.Client;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Client.IntegrationTests;

/// <summary>
/// The shape README shows: one host with <c>AddPublisher()</c> and <c>AddConsumer()</c> under one <c>AddRabbitHa()</c>,
/// under a real memory alarm. RabbitMQ blocks a connection that publishes during an alarm and stops reading from its
/// socket; the consumers must not be on it, or they stop acknowledging.
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", "Chaos")]
public sealed class OneAppAlarmTests(RabbitHaClusterFixture fixture, ITestOutputHelper output)
{
    private IRabbitHaCluster Cluster => fixture.Cluster;

    [DockerFact]
    public async Task OneApp_WhenAMemoryAlarmOutlastsTheConfirmTimeout_KeepsConsumingAndCompletesEveryPublish()
    {
        string queue = "one-app-alarm-" + Guid.NewGuid().ToString("N");
        var log = new DeliveryLog();
        using IHost host = BuildApp(queue, log, handlerDelay: TimeSpan.FromMilliseconds(10), configurePublisher: o => o.ConfirmTimeout = TimeSpan.FromSeconds(3));
        await host.StartAsync();
        var publisher = host.Services.GetRequiredService<IRabbitHaPublisher>();
        var publishing = host.Services.GetRequiredKeyedService<IRabbitHaConnection>(RabbitHaServiceKeys.PublisherConnection);

        // A backlog that takes the consumer (10 ms a message, one at a time) well over the alarm's length to drain.
        string[] backlog = Ids("backlog", 2_000);
        await Task.WhenAll(backlog.Select(id => publisher.PublishAsync(string.Empty, queue, Body(id), new BasicProperties { MessageId = id })));

        var failures = new ConcurrentQueue<Exception>();
        string[] during = Ids("during", 20);
        Task publishingDuringAlarm;
        int handledAtAlarm;
        int handledWhileBlocked;
        await RaiseAlarmEverywhereAsync();
        try
        {
            handledAtAlarm = log.HandledCount;

            // The app still publishes now and then: the first of these gets its connection blocked.
            publishingDuringAlarm = PublishSlowlyAsync(publisher, queue, during, TimeSpan.FromMilliseconds(200), failures);
            await Eventually.HoldsAsync(() => Task.FromResult(publishing.IsBlocked), TimeSpan.FromSeconds(15), "the publishing connection is blocked");
            int handledAtBlock = log.HandledCount;

            // Longer than ConfirmTimeout (3 s): the waiting publishes must not fail for it.
            await Task.Delay(TimeSpan.FromSeconds(8));
            handledWhileBlocked = log.HandledCount - handledAtBlock;
            output.WriteLine($"handled while the publishing connection was blocked for 8 s: {handledWhileBlocked}");

            Assert.True(publishing.IsBlocked, "the alarm ended early: the test proves nothing");
            Assert.False(publishingDuringAlarm.IsCompleted, "publishes completed while the broker blocked the publishing connection");
        }
        finally
        {
            await ClearAlarmEverywhereAsync();
        }

        Assert.True(handledWhileBlocked > 100, $"the consumer handled only {handledWhileBlocked} messages while the publishing connection was blocked");
        await publishingDuringAlarm.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Empty(failures);
        string[] all = [.. backlog, .. during];
        await Eventually.HoldsAsync(() => Task.FromResult(all.All(log.HandledIds().Contains)), TimeSpan.FromSeconds(60),
            "every confirmed message is handled");
        output.WriteLine($"handled at the alarm {handledAtAlarm}, in all {log.HandledCount}; lost 0");
        await host.StopAsync();
    }

    /// <summary>
    /// The deadlock the shared connection had: the app's own backlog raises the alarm, and the only thing that can clear it
    /// is the app's consumers draining that backlog.
    /// </summary>
    [RabbitMq3Fact(
        "On RabbitMQ 4 a backlog does not clear the alarm it raised by being drained: measured on this cluster, a quorum queue "
        + "(the vhost's default type) kept the memory of 150 MiB of consumed messages for minutes (its log gives memory back when "
        + "its write-ahead log rolls over, 512 MiB by default), and a classic queue (v2, on disk) never raised the alarm with it. "
        + "The client's side, consuming while the publishing connection is blocked, is proven on both profiles by "
        + nameof(OneApp_WhenAMemoryAlarmOutlastsTheConfirmTimeout_KeepsConsumingAndCompletesEveryPublish) + ".")]
    public async Task OneApp_WhenItsOwnBacklogRaisesTheMemoryAlarm_DrainsItAndTheAlarmClearsByItself()
    {
        string queue = "one-app-deadlock-" + Guid.NewGuid().ToString("N");
        var log = new DeliveryLog();
        using IHost host = BuildApp(queue, log, handlerDelay: TimeSpan.FromMilliseconds(20), configurePublisher: o => o.MaxInFlight = 20);
        await host.StartAsync();
        var publisher = host.Services.GetRequiredService<IRabbitHaPublisher>();
        var publishing = host.Services.GetRequiredKeyedService<IRabbitHaConnection>(RabbitHaServiceKeys.PublisherConnection);
        await host.WaitUntilSubscribedAsync();

        // Each node's watermark a little above what it uses now: a backlog of large messages (mirrored on every node on RabbitMQ 3) crosses it.
        // Each node's statistics reach the management API with its next emission: wait until every node reported its memory.
        IReadOnlyList<ClusterNodeState> nodes = [];
        await Eventually.HoldsAsync(async () => (nodes = await Cluster.GetNodeStatesAsync()).Count == Cluster.NodeCount && nodes.All(n => n.MemoryUsed > 0),
            TimeSpan.FromSeconds(30), "every node reports the memory it uses");
        const long Headroom = 40L * 1024 * 1024;
        bool sawAlarm = false;
        bool sawBlocked = false;
        int handledWhileBlocked = 0;
        var failures = new ConcurrentQueue<Exception>();
        string[] ids = Ids("big", 600);
        try
        {
            for (int node = 1; node <= Cluster.NodeCount; node++)
            {
                ClusterNodeState state = nodes.Single(n => n.NodeName == Cluster.Nodes[node - 1].NodeName);
                output.WriteLine($"rmq{node} uses {state.MemoryUsed / 1024 / 1024} MiB; watermark set to +{Headroom / 1024 / 1024} MiB");
                await Cluster.Nodes[node - 1].SetMemoryHighWatermarkAsync(state.MemoryUsed + Headroom);
            }

            byte[] large = new byte[256 * 1024];
            Task publishes = Task.Run(async () =>
            {
                await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 20 }, async (id, _) =>
                {
                    try
                    {
                        await publisher.PublishAsync(string.Empty, queue, large, new BasicProperties { MessageId = id }, CancellationToken.None);
                    }
                    catch (Exception ex)
                    {
                        failures.Enqueue(ex);
                    }
                });
            });

            var clock = Stopwatch.StartNew();
            int handledAtBlock = 0;
            while (!publishes.IsCompleted && clock.Elapsed < TimeSpan.FromMinutes(3))
            {
                if (!sawBlocked && publishing.IsBlocked)
                {
                    sawBlocked = true;
                    handledAtBlock = log.HandledCount;
                    output.WriteLine($"publishing connection blocked after {clock.Elapsed.TotalSeconds:F1} s, {handledAtBlock} handled");
                }

                if (sawBlocked && publishing.IsBlocked)
                {
                    handledWhileBlocked = log.HandledCount - handledAtBlock;
                }

                if (!sawAlarm && (await Cluster.GetNodeStatesAsync()).Any(n => n.MemoryAlarm))
                {
                    sawAlarm = true;
                    output.WriteLine($"memory alarm raised by the backlog after {clock.Elapsed.TotalSeconds:F1} s");
                }

                await Task.Delay(200);
            }

            Assert.True(publishes.IsCompleted, $"publishing never resumed: {log.HandledCount} handled, blocked {publishing.IsBlocked}");
            Assert.True(sawBlocked, "the backlog never raised the alarm (the publishing connection was never blocked): the test proves nothing");
            Assert.True(handledWhileBlocked > 0, "the consumers handled nothing while the publishing connection was blocked");

            // The last of the backlog is still being drained: the alarm clears by itself once it is gone.
            await Eventually.HoldsAsync(async () => !(await Cluster.GetNodeStatesAsync()).Any(n => n.MemoryAlarm), TimeSpan.FromSeconds(90),
                "the memory alarm clears by itself (the watermark is still the low one)");
        }
        finally
        {
            for (int node = 1; node <= Cluster.NodeCount; node++)
            {
                await Cluster.Nodes[node - 1].ClearMemoryAlarmAsync();
            }
        }

        Assert.Empty(failures);
        await Eventually.HoldsAsync(() => Task.FromResult(ids.All(log.HandledIds().Contains)), TimeSpan.FromSeconds(90), "every confirmed message is handled");
        output.WriteLine($"alarm seen {sawAlarm}, handled while blocked {handledWhileBlocked}, handled {log.HandledCount}; lost 0");
        await host.StopAsync();
    }

    private IHost BuildApp(string queue, DeliveryLog log, TimeSpan handlerDelay, Action<RabbitHaPublisherOptions> configurePublisher) =>
        RabbitHaTestHost.Build(
            Cluster.AmqpUri,
            "one-app-" + queue[^8..],
            new XunitLoggerProvider(output),
            rabbitHa => rabbitHa
                .AddTopology(t => t.Queues.Add(new RabbitHaQueueDefinition { Name = queue }))
                .AddPublisher(configurePublisher)
                .AddConsumer<RecordingHandler>(queue, o => o.PrefetchCount = 50),
            services: services => services
                .AddSingleton(log)
                .AddSingleton(new ConsumerIdentity("app"))
                .AddSingleton(new HandlerBehavior { BeforeHandled = (_, ct) => Task.Delay(handlerDelay, ct) }));

    private async Task RaiseAlarmEverywhereAsync()
    {
        for (int node = 1; node <= Cluster.NodeCount; node++)
        {
            await Cluster.Nodes[node - 1].RaiseMemoryAlarmAsync();
        }
    }

    private async Task ClearAlarmEverywhereAsync()
    {
        for (int node = 1; node <= Cluster.NodeCount; node++)
        {
            await Cluster.Nodes[node - 1].ClearMemoryAlarmAsync();
        }
    }

    private static async Task PublishSlowlyAsync(IRabbitHaPublisher publisher, string queue, string[] ids, TimeSpan interval, ConcurrentQueue<Exception> failures)
    {
        var publishes = new List<Task>();
        foreach (string id in ids)
        {
            publishes.Add(Record(publisher.PublishAsync(string.Empty, queue, Body(id), new BasicProperties { MessageId = id })));
            await Task.Delay(interval);
        }

        await Task.WhenAll(publishes);

        async Task Record(Task publish)
        {
            try
            {
                await publish;
            }
            catch (Exception ex)
            {
                failures.Enqueue(ex);
            }
        }
    }

    private static string[] Ids(string prefix, int count) =>
        Enumerable.Range(0, count).Select(i => $"{prefix}-{i:D5}").ToArray();

    private static byte[] Body(string id) => System.Text.Encoding.ASCII.GetBytes(id);
}
