using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;
using RabbitHa.Client.IntegrationTests.Consuming;
using RabbitHa.Testing;
using RabbitHa.Testing.Xunit;
using RabbitMQ.Client;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Client.IntegrationTests.Tracing;

/// <summary>
/// One trace from publish to handler, across a failover: two applications (a producer and a consumer, each its own
/// <c>AddRabbitHa()</c>), traced by the OpenTelemetry SDK with its in-memory exporter, and the producer's publishing node
/// killed (SIGKILL) while publishes wait for their confirms. Every handled message's processing span is a child of its
/// publish span, re-sent or not: a re-send carries the context of the first send.
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", "Chaos")]
public sealed class FailoverTraceTests(RabbitHaClusterFixture fixture, ITestOutputHelper output)
{
    private const int Concurrency = 100;

    /// <summary>Publishes started before the kill.</summary>
    private const int KillAt = 300;

    /// <summary>Publishes started after the kill has returned: the kill lands while publishes wait for their confirms, however slow it is.</summary>
    private const int AfterKill = 1_000;

    private const int MaxMessages = 20_000;

    private IRabbitHaCluster Cluster => fixture.Cluster;

    [DockerFact]
    public async Task PublishAndHandle_WhenTheProducersNodeIsKilledBetweenSendAndConfirm_KeepEachMessageInItsPublishTrace()
    {
        string queue = "failover-trace-" + Guid.NewGuid().ToString("N");
        string producerName = "trace-producer-" + queue[^8..];
        var exported = new LockedList<Activity>();
        using TracerProvider tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(RabbitHaDiagnostics.ActivitySourceName, RabbitMQActivitySource.PublisherSourceName, RabbitMQActivitySource.SubscriberSourceName)
            .SetSampler(new AlwaysOnSampler())
            .AddInMemoryExporter(exported)
            .Build()!;

        using IHost producer = BuildProducer(queue, producerName);
        await producer.StartAsync();
        var log = new DeliveryLog();
        using IHost consumer = ConsumerHost.Build(Cluster, output, "trace-consumer-" + queue[^8..], queue, log, configure: o => o.PrefetchCount = 50);
        await consumer.StartAsync();
        await consumer.WaitUntilSubscribedAsync();
        var publisher = producer.Services.GetRequiredService<IRabbitHaPublisher>();

        IRabbitHaClusterNode? producerNode = null;
        await Eventually.HoldsAsync(async () => (producerNode = await Cluster.FindConnectionNodeAsync(producerName + RabbitHaDiagnostics.PublisherConnectionNameSuffix)) is not null,
            TimeSpan.FromSeconds(15), "the producer's publishing connection is listed");
        output.WriteLine($"Producer's publishing connection on {producerNode?.HostName}; killing it once {KillAt} publishes have started, publishing {AfterKill} more after.");

        // Each publish a trace of its own: nothing is current where they start.
        Activity.Current = null;
        var confirmed = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var failures = new ConcurrentQueue<Exception>();
        var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int next = -1;
        int limit = MaxMessages;
        try
        {
            Task[] workers = Enumerable.Range(0, Concurrency).Select(worker => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < Volatile.Read(ref limit))
                {
                    if (i == KillAt)
                    {
                        _ = Task.Run(async () =>
                        {
                            await producerNode!.KillAsync();
                            Volatile.Write(ref limit, Math.Min(MaxMessages, Volatile.Read(ref next) + AfterKill));
                            killed.SetResult();
                        });
                    }

                    string id = i.ToString("D5", CultureInfo.InvariantCulture);
                    try
                    {
                        await publisher.PublishAsync(string.Empty, queue, Encoding.ASCII.GetBytes(id), new BasicProperties { MessageId = id });
                        confirmed[id] = true;
                    }
                    catch (Exception ex)
                    {
                        failures.Enqueue(ex);
                    }
                }
            })).ToArray();
            await Task.WhenAll(workers);
            await killed.Task;
        }
        finally
        {
            await producerNode!.StartAsync();
        }

        Assert.Empty(failures);
        int messageCount = confirmed.Count;
        output.WriteLine($"Published and confirmed {messageCount} messages.");
        await Eventually.HoldsAsync(() => Task.FromResult(log.HandledIds().Count == messageCount), TimeSpan.FromSeconds(90), "every message is handled");
        await producer.StopAsync();
        await consumer.StopAsync();
        Assert.True(tracing.ForceFlush(10_000), "the spans were exported");

        Activity[] spans = exported.ToArray();
        Activity[] publishes = spans.Where(s => s.Source.Name == RabbitHaDiagnostics.ActivitySourceName && s.Kind == ActivityKind.Producer && Destination(s) == queue).ToArray();
        Activity[] processes = spans.Where(s => s.Source.Name == RabbitHaDiagnostics.ActivitySourceName && s.Kind == ActivityKind.Consumer && Destination(s) == queue).ToArray();
        Activity[] clientSends = spans.Where(s => s.Source.Name == RabbitMQActivitySource.PublisherSourceName && (string?)s.GetTagItem("messaging.rabbitmq.destination.routing_key") == queue).ToArray();
        Dictionary<string, Activity> publishById = publishes.ToDictionary(MessageId, StringComparer.Ordinal);
        Activity[] resentPublishes = publishes.Where(p => p.Events.Any(e => e.Name == RabbitHaDiagnostics.PublishResentEvent)).ToArray();
        Activity[] resentDeliveries = processes.Where(p => Equals(p.GetTagItem("rabbitha.delivery.resent"), true)).ToArray();
        output.WriteLine(
            $"Spans: {publishes.Length} publishes ({resentPublishes.Length} with a re-send), {processes.Length} processings " +
            $"({resentDeliveries.Length} of a re-sent copy), {clientSends.Length} RabbitMQ.Client sends; {log.HandledCount} handlings of {log.HandledIds().Count} messages.");

        PrintTrace(Pick(resentPublishes, processes), spans);

        Assert.Equal(messageCount, publishById.Count);
        Assert.All(log.HandledIds(), id => Assert.Contains(processes, p => MessageId(p) == id));
        Assert.All(processes, process =>
        {
            Activity publish = publishById[MessageId(process)];
            Assert.Equal(publish.TraceId, process.TraceId);
            Assert.Equal(publish.SpanId, process.ParentSpanId);
        });
        Assert.All(clientSends, send => Assert.Equal(publishById[(string)send.GetTagItem("messaging.message.id")!].SpanId, send.ParentSpanId));
        Assert.True(resentPublishes.Length > 0, "no publish was sent again: the kill did not land between a send and its confirm, and the test proves nothing");
        Assert.All(resentPublishes, publish => Assert.Contains(processes, p => p.TraceId == publish.TraceId && p.ParentSpanId == publish.SpanId));
        await Cluster.WaitUntilHealthyAsync(TimeSpan.FromSeconds(90));
    }

    private IHost BuildProducer(string queue, string name) =>
        RabbitHaTestHost.Build(
            Cluster.AmqpUri,
            name,
            new XunitLoggerProvider(output),
            rabbitHa => rabbitHa.AddTopology(t => t.Queues.Add(new RabbitHaQueueDefinition { Name = queue })).AddPublisher());

    private static string? Destination(Activity span) => span.GetTagItem("messaging.destination.name") as string;

    private static string MessageId(Activity span) => (string)span.GetTagItem("messaging.message.id")!;

    /// <summary>A re-sent publish to show: preferably one whose re-sent copy was handled, then the one with the most spans in its trace.</summary>
    private static Activity? Pick(Activity[] resentPublishes, Activity[] processes) =>
        resentPublishes
            .OrderByDescending(p => processes.Any(s => s.TraceId == p.TraceId && Equals(s.GetTagItem("rabbitha.delivery.resent"), true)))
            .ThenByDescending(p => processes.Count(s => s.TraceId == p.TraceId))
            .FirstOrDefault();

    /// <summary>Writes one trace as an indented tree: spans (source, kind, times from the root's start) and their events.</summary>
    private void PrintTrace(Activity? root, Activity[] spans)
    {
        if (root is null)
        {
            output.WriteLine("No re-sent publish to show.");
            return;
        }

        Activity[] trace = spans.Where(s => s.TraceId == root.TraceId).ToArray();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Trace {root.TraceId} (message {MessageId(root)}), times in ms from the publish call:");
        Write(root, 0);
        output.WriteLine(text.ToString());

        void Write(Activity span, int depth)
        {
            string indent = new(' ', depth * 2);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{indent}{span.DisplayName}  [{span.Source.Name}, {span.Kind}]  {Ms(span.StartTimeUtc)} → {Ms(span.StartTimeUtc + span.Duration)}{Details(span)}");
            var items = span.Events.Select(e => (At: e.Timestamp.UtcDateTime, Event: (ActivityEvent?)e, Child: (Activity?)null))
                .Concat(trace.Where(c => c.ParentSpanId == span.SpanId).Select(c => (At: c.StartTimeUtc, Event: (ActivityEvent?)null, Child: (Activity?)c)))
                .OrderBy(i => i.At);
            foreach (var item in items)
            {
                if (item.Child is { } child)
                {
                    Write(child, depth + 1);
                }
                else
                {
                    ActivityEvent e = item.Event!.Value;
                    string tags = string.Join(", ", e.Tags.Select(t => $"{t.Key}={t.Value}"));
                    text.AppendLine(CultureInfo.InvariantCulture, $"{indent}  · {e.Name} at {Ms(item.At)}{(tags.Length > 0 ? ": " + tags : string.Empty)}");
                }
            }
        }

        string Ms(DateTime at) => ((at - root.StartTimeUtc).TotalMilliseconds).ToString("F0", CultureInfo.InvariantCulture);

        static string Details(Activity span)
        {
            string[] shown = ["rabbitha.publish.attempts", "rabbitha.delivery.attempt", "rabbitha.delivery.redelivered", "rabbitha.delivery.resent", "error.type"];
            string tags = string.Join(", ", shown.Select(n => (Name: n, Value: span.GetTagItem(n))).Where(t => t.Value is not null).Select(t => $"{t.Name}={t.Value}"));
            string status = span.Status == ActivityStatusCode.Error ? $", status Error ({span.StatusDescription})" : string.Empty;
            return (tags.Length > 0 ? ", " + tags : string.Empty) + status;
        }
    }

    /// <summary>The exporter's collection: the SDK adds from its export thread while the test reads.</summary>
    private sealed class LockedList<T> : ICollection<T>
    {
        private readonly List<T> _items = [];

        public int Count
        {
            get
            {
                lock (_items)
                {
                    return _items.Count;
                }
            }
        }

        public bool IsReadOnly => false;

        public void Add(T item)
        {
            lock (_items)
            {
                _items.Add(item);
            }
        }

        public void Clear()
        {
            lock (_items)
            {
                _items.Clear();
            }
        }

        public bool Contains(T item)
        {
            lock (_items)
            {
                return _items.Contains(item);
            }
        }

        public void CopyTo(T[] array, int arrayIndex)
        {
            lock (_items)
            {
                _items.CopyTo(array, arrayIndex);
            }
        }

        public bool Remove(T item)
        {
            lock (_items)
            {
                return _items.Remove(item);
            }
        }

        public T[] ToArray()
        {
            lock (_items)
            {
                return [.. _items];
            }
        }

        public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)ToArray()).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
