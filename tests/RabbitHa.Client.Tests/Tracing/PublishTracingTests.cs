using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Tests.Publishing;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Tests.Tracing;

/// <summary>
/// A publish is one span, from the call to the confirm, whose context the message carries (injected once): every send
/// of it, re-sends included, carries the same <c>traceparent</c>, whatever RabbitMQ.Client injects per send.
/// </summary>
[Collection(TracingCollection.Name)]
[Trait("Category", "Unit")]
public sealed class PublishTracingTests
{
    [Fact]
    public async Task PublishAsync_IsOneProducerSpan_NamedAndTaggedAsTheMessagingConventionsSay()
    {
        using var spans = new SpanRecorder();
        await using var harness = new PublisherHarness();
        using Activity caller = SpanRecorder.TestSource.StartActivity("caller")!;

        await harness.Publisher.PublishAsync(PublisherHarness.Message(exchange: "", routingKey: "orders"));

        Activity publish = Assert.Single(spans.RabbitHaSpans);
        Assert.Equal("publish orders", publish.DisplayName);
        Assert.Equal(ActivityKind.Producer, publish.Kind);
        Assert.Equal(caller.SpanId, publish.ParentSpanId);
        Assert.Equal("rabbitmq", publish.Tag("messaging.system"));
        Assert.Equal("send", publish.Tag("messaging.operation.type"));
        Assert.Equal("publish", publish.Tag("messaging.operation.name"));
        Assert.Equal("orders", publish.Tag("messaging.destination.name"));
        Assert.Equal("orders", publish.Tag("messaging.rabbitmq.destination.routing_key"));
        Assert.Equal("broker.publisher", publish.Tag("messaging.client.id"));
        Assert.Equal(1, publish.Tag("rabbitha.publish.attempts"));
        Assert.Equal(ActivityStatusCode.Unset, publish.Status);
        PublishingBroker.Publish sent = Assert.Single(harness.Broker.Publishes);
        Assert.Equal(sent.MessageId, publish.Tag("messaging.message.id"));
        Assert.Equal(publish.Id, SpanRecorder.TraceParent(sent.Properties));
    }

    [Theory]
    [InlineData("shop", "order.created", "publish shop:order.created", "shop:order.created")]
    [InlineData("shop", "", "publish shop", "shop")]
    [InlineData("", "", "publish amq.default", "amq.default")]
    public async Task PublishAsync_NamesTheSpanAfterTheExchangeAndRoutingKey(string exchange, string routingKey, string name, string destination)
    {
        using var spans = new SpanRecorder();
        await using var harness = new PublisherHarness();

        await harness.Publisher.PublishAsync(PublisherHarness.Message(exchange, routingKey));

        Activity publish = Assert.Single(spans.RabbitHaSpans);
        Assert.Equal(name, publish.DisplayName);
        Assert.Equal(destination, publish.Tag("messaging.destination.name"));
        Assert.Equal(routingKey.Length == 0 ? null : routingKey, publish.Tag("messaging.rabbitmq.destination.routing_key"));
    }

    [Fact]
    public async Task PublishAsync_WhenNackedTwice_SendsTheSameTraceparentThreeTimes_AndRecordsEachResend()
    {
        using var spans = new SpanRecorder();
        await using var harness = new PublisherHarness(o => o.MaxNackRetries = 3);
        ConcurrentQueue<string?> carried = RecordTraceparents(harness, send => send <= 2 ? BrokerAnswer.Nack : BrokerAnswer.Ack);

        await harness.Publisher.PublishAsync(PublisherHarness.Message(routingKey: "orders"));

        Activity publish = Assert.Single(spans.RabbitHaSpans);
        Assert.Equal(3, carried.Count);
        Assert.All(carried, traceParent => Assert.Equal(publish.Id, traceParent));
        Assert.Equal(3, publish.Tag("rabbitha.publish.attempts"));
        ActivityEvent[] resent = [.. publish.EventsNamed(RabbitHaDiagnostics.PublishResentEvent)];
        Assert.Equal([2, 3], resent.Select(e => e.Tag("rabbitha.publish.attempt")));
        Assert.All(resent, e => Assert.Equal("nacked", e.Tag("rabbitha.publish.resend_reason")));

        // RabbitMQ.Client's own span for each send is still there, under the publish.
        Activity[] clientSends = spans.Stopped.Where(a => a.Source == SpanRecorder.TestSource).ToArray();
        Assert.Equal(3, clientSends.Length);
        Assert.All(clientSends, s => Assert.Equal(publish.SpanId, s.ParentSpanId));
    }

    [Fact]
    public async Task PublishAsync_WhenTheConfirmIsLost_ResendsWithTheFirstSendsContext()
    {
        using var spans = new SpanRecorder();
        await using var harness = new PublisherHarness(o => o.ConfirmTimeout = TimeSpan.FromMilliseconds(200));
        ConcurrentQueue<string?> carried = RecordTraceparents(harness, send => send switch
        {
            // The connection went with the confirm, then a send that is never confirmed, then the ack.
            1 => BrokerAnswer.Throw(new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Library, 541, "connection lost"))),
            2 => BrokerAnswer.Hold,
            _ => BrokerAnswer.Ack,
        });

        await harness.Publisher.PublishAsync(PublisherHarness.Message(routingKey: "orders"));

        Activity publish = Assert.Single(spans.RabbitHaSpans);
        Assert.Equal(3, carried.Count);
        Assert.All(carried, traceParent => Assert.Equal(publish.Id, traceParent));
        Assert.Equal(
            ["connection_lost", "confirm_timeout"],
            publish.EventsNamed(RabbitHaDiagnostics.PublishResentEvent).Select(e => e.Tag("rabbitha.publish.resend_reason")));
        Assert.Equal(2, harness.Broker.Publishes.Count(p => p.Resent));
    }

    [Fact]
    public async Task PublishAsync_WhenOnlyRabbitMqClientIsTraced_ResendsWithTheContextItInjectedAtTheFirstSend()
    {
        // Nobody listens to RabbitHa's source: the message goes without headers of RabbitHa's, RabbitMQ.Client adds its
        // own dictionary at the first send, and the re-sends keep the context it wrote there.
        using var clientOnly = new ActivityListener
        {
            ShouldListenTo = static source => source.Name == SpanRecorder.TestSource.Name,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(clientOnly);
        await using var harness = new PublisherHarness(o => o.MaxNackRetries = 3);
        ConcurrentQueue<string?> carried = RecordTraceparents(harness, send => send <= 2 ? BrokerAnswer.Nack : BrokerAnswer.Ack);

        await harness.Publisher.PublishAsync(PublisherHarness.Message(routingKey: "orders"));

        Assert.Equal(3, carried.Count);
        string? first = carried.First();
        Assert.NotNull(first);
        Assert.All(carried, traceParent => Assert.Equal(first, traceParent));
    }

    [Fact]
    public async Task PublishAsync_OfAMessageThatCarriesAContext_KeepsIt_AndLinksAClientSpanToIt()
    {
        using var spans = new SpanRecorder();
        await using var harness = new PublisherHarness(o => o.MaxNackRetries = 3);
        ConcurrentQueue<string?> carried = RecordTraceparents(harness, send => send == 1 ? BrokerAnswer.Nack : BrokerAnswer.Ack);

        // As a consumer's retry copy arrives at the publisher: the delivery's headers, the traceparent in UTF-8 bytes.
        const string Original = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        var copy = new RabbitHaOutgoingMessage("", "orders", new byte[3])
        {
            Properties = new BasicProperties { MessageId = "m-1", Headers = new Dictionary<string, object?> { ["traceparent"] = Encoding.UTF8.GetBytes(Original) } },
        };

        await harness.Publisher.PublishAsync(copy);

        Activity publish = Assert.Single(spans.RabbitHaSpans);
        Assert.Equal(ActivityKind.Client, publish.Kind);
        ActivityLink link = Assert.Single(publish.Links);
        Assert.Equal(Original, $"00-{link.Context.TraceId}-{link.Context.SpanId}-01");
        Assert.Equal(2, carried.Count);
        Assert.All(carried, traceParent => Assert.Equal(Original, traceParent));
    }

    [Fact]
    public async Task PublishAsync_WhenTheMessageFails_MarksTheSpanWithTheReasonAndTheException()
    {
        using var spans = new SpanRecorder();
        await using var harness = new PublisherHarness();
        harness.Broker.Answer = _ => BrokerAnswer.Return;

        await Assert.ThrowsAsync<RabbitHaPublishException>(() => harness.Publisher.PublishAsync(PublisherHarness.Message()));

        Activity publish = Assert.Single(spans.RabbitHaSpans);
        Assert.Equal(ActivityStatusCode.Error, publish.Status);
        Assert.Equal(nameof(RabbitHaPublishFailureReason.Unroutable), publish.Tag("error.type"));
        ActivityEvent exception = Assert.Single(publish.EventsNamed("exception"));
        Assert.Equal(typeof(RabbitHaPublishException).FullName, exception.Tag("exception.type"));
    }

    [Fact]
    public async Task PublishAsync_WhenTheCallerCancels_EndsTheSpanAsCancelled()
    {
        using var spans = new SpanRecorder();
        await using var harness = new PublisherHarness();
        harness.Broker.Answer = _ => BrokerAnswer.Hold;
        using var cancel = new CancellationTokenSource();

        Task publishing = harness.Publisher.PublishAsync(PublisherHarness.Message(), cancel.Token);
        await Eventually.HoldsAsync(() => harness.Broker.Publishes.Count == 1, "the message is sent");
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => publishing);
        Activity publish = Assert.Single(spans.RabbitHaSpans);
        Assert.Equal(ActivityStatusCode.Error, publish.Status);
        Assert.Equal(PublisherMetrics.CancelledReason, publish.Tag("error.type"));
    }

    [Fact]
    public async Task PublishAsync_LeavesTheCallersCurrentActivityAlone()
    {
        using var spans = new SpanRecorder();
        await using var harness = new PublisherHarness();
        using Activity caller = SpanRecorder.TestSource.StartActivity("caller")!;

        Task first = harness.Publisher.PublishAsync(PublisherHarness.Message());
        Activity? afterFirst = Activity.Current;
        Task second = harness.Publisher.PublishAsync(PublisherHarness.Message());
        await Task.WhenAll(first, second);

        Assert.Same(caller, afterFirst);
        Assert.Same(caller, Activity.Current);
        Assert.Equal(2, spans.RabbitHaSpans.Count);
        Assert.All(spans.RabbitHaSpans, s => Assert.Equal(caller.SpanId, s.ParentSpanId));
    }

    [Fact]
    public async Task PublishBatchAsync_IsOneSpanPerMessage_EachAChildOfTheCaller()
    {
        using var spans = new SpanRecorder();
        await using var harness = new PublisherHarness();
        using Activity caller = SpanRecorder.TestSource.StartActivity("caller")!;

        await harness.Publisher.PublishBatchAsync([PublisherHarness.Message(routingKey: "a"), PublisherHarness.Message(routingKey: "b"), PublisherHarness.Message(routingKey: "c")]);

        Assert.Equal(["publish a", "publish b", "publish c"], spans.RabbitHaSpans.Select(s => s.DisplayName).Order());
        Assert.All(spans.RabbitHaSpans, s => Assert.Equal(caller.SpanId, s.ParentSpanId));
        Assert.Equal(
            spans.RabbitHaSpans.Select(s => s.Id).Order(),
            harness.Broker.Publishes.Select(p => SpanRecorder.TraceParent(p.Properties)).Order());
    }

    [Fact]
    public async Task PublishAsync_WithoutAListener_AddsNoTraceContext()
    {
        await using var harness = new PublisherHarness();

        await harness.Publisher.PublishAsync(PublisherHarness.Message());

        Assert.Null(SpanRecorder.TraceParent(Assert.Single(harness.Broker.Publishes).Properties));
    }

    /// <summary>
    /// Has the broker answer each send with <paramref name="answer"/> of its number (1 for the first), after recording the
    /// <c>traceparent</c> the send carries once RabbitMQ.Client has injected its own.
    /// </summary>
    /// <returns>The <c>traceparent</c> of every send, in order.</returns>
    private static ConcurrentQueue<string?> RecordTraceparents(PublisherHarness harness, Func<int, BrokerAnswer> answer)
    {
        var carried = new ConcurrentQueue<string?>();
        int sends = 0;
        harness.Broker.Answer = publish =>
        {
            carried.Enqueue(SpanRecorder.SendAsRabbitMqClientDoes(publish.Properties));
            return answer(Interlocked.Increment(ref sends));
        };
        return carried;
    }
}
