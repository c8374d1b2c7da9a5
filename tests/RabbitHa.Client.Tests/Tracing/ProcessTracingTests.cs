using System.Diagnostics;
using System.Text;
using RabbitHa.Client.Tests.Consuming;
using RabbitHa.Client.Tests.Publishing;
using RabbitMQ.Client;
using static RabbitHa.Client.Tests.Consuming.ProcessorHarness;

namespace RabbitHa.Client.Tests.Tracing;

/// <summary>
/// A delivery's processing is one span of kind Consumer, a child of the context its message carries (the publish's), and
/// what RabbitHa does with the message on the way is an event on it: a duplicate dropped, a requeue, a dead-lettering,
/// a handler timeout. The copies it publishes keep the message's context.
/// </summary>
[Collection(TracingCollection.Name)]
[Trait("Category", "Unit")]
public sealed class ProcessTracingTests
{
    private static readonly ActivityContext s_published = new(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true);

    [Fact]
    public async Task ProcessAsync_IsAConsumerSpan_ChildOfTheContextTheMessageCarries_CurrentInTheHandler()
    {
        using var spans = new SpanRecorder();
        var harness = new ProcessorHarness();
        Activity? inHandler = null;

        await harness.Create(new LambdaHandler((_, _) =>
        {
            inHandler = Activity.Current;
            return Task.CompletedTask;
        })).ProcessAsync(harness.Channel, 7, false, "", Queue, Carrying(s_published, "m-1"), Body("a"), CancellationToken.None);

        Activity process = Assert.Single(spans.RabbitHaSpans);
        Assert.Equal("process orders", process.DisplayName);
        Assert.Equal(ActivityKind.Consumer, process.Kind);
        Assert.Equal(s_published.TraceId, process.TraceId);
        Assert.Equal(s_published.SpanId, process.ParentSpanId);
        ActivityLink link = Assert.Single(process.Links);
        Assert.Equal((s_published.TraceId, s_published.SpanId), (link.Context.TraceId, link.Context.SpanId));
        Assert.Same(process, inHandler);
        Assert.Equal("rabbitmq", process.Tag("messaging.system"));
        Assert.Equal("process", process.Tag("messaging.operation.type"));
        Assert.Equal("process", process.Tag("messaging.operation.name"));
        Assert.Equal("orders", process.Tag("messaging.destination.name"));
        Assert.Equal("orders", process.Tag("messaging.rabbitmq.destination.routing_key"));
        Assert.Equal("m-1", process.Tag("messaging.message.id"));
        Assert.Equal(7L, process.Tag("messaging.rabbitmq.message.delivery_tag"));
        Assert.Equal("orders", process.Tag(RabbitHaConsumerDiagnostics.ConsumerNameTag));
        Assert.Equal(1, process.Tag("rabbitha.delivery.attempt"));
        Assert.Equal(ActivityStatusCode.Unset, process.Status);
        Assert.Empty(process.Events);
    }

    [Fact]
    public async Task ProcessAsync_NamesTheSpanAfterExchangeRoutingKeyAndQueue()
    {
        using var spans = new SpanRecorder();
        var harness = new ProcessorHarness();

        await harness.Create(new ScriptedHandler()).ProcessAsync(harness.Channel, 1, false, "shop", "order.created", Carrying(s_published, "m-1"), Body("a"), CancellationToken.None);

        Activity process = Assert.Single(spans.RabbitHaSpans);
        Assert.Equal("process shop:order.created:orders", process.DisplayName);
        Assert.Equal("order.created", process.Tag("messaging.rabbitmq.destination.routing_key"));
    }

    [Fact]
    public async Task ProcessAsync_OfAMessageWithoutContext_StartsATraceOfItsOwn_NotAChildOfWhateverIsCurrent()
    {
        using var spans = new SpanRecorder();
        var harness = new ProcessorHarness();
        using Activity unrelated = SpanRecorder.TestSource.StartActivity("where the consumer was started")!;

        await harness.Create(new ScriptedHandler()).ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);

        Activity process = Assert.Single(spans.RabbitHaSpans);
        Assert.Equal(default, process.ParentSpanId);
        Assert.NotEqual(unrelated.TraceId, process.TraceId);
        Assert.Empty(process.Links);
    }

    [Fact]
    public async Task ProcessAsync_WhenTheMessageWasHandledAlready_RecordsTheDuplicateDropped()
    {
        using var spans = new SpanRecorder();
        var store = new InMemoryRabbitHaDeduplicationStore();
        await store.MarkHandledAsync(Queue, "m-1", CancellationToken.None);
        var harness = new ProcessorHarness { Store = store };
        harness.Options.DeduplicateByMessageId = true;
        var handler = new ScriptedHandler();

        await harness.Create(handler).ProcessAsync(harness.Channel, 1, true, "", Queue, Carrying(s_published, "m-1"), Body("a"), CancellationToken.None);

        Assert.Equal(0, handler.Calls);
        Activity process = Assert.Single(spans.RabbitHaSpans);
        Assert.Single(process.EventsNamed(RabbitHaConsumerDiagnostics.DuplicateDroppedEvent));
        Assert.Equal(ActivityStatusCode.Unset, process.Status);
    }

    [Fact]
    public async Task ProcessAsync_WhenTheHandlerThrows_MarksTheSpanFailed_RecordsTheRequeue_AndTheCopyKeepsTheContext()
    {
        using var spans = new SpanRecorder();
        var harness = new ProcessorHarness();
        harness.Options.MaxDeliveryAttempts = 3;
        BasicProperties delivered = Carrying(s_published, "m-1");

        await harness.Create(new ScriptedHandler { Fail = true }).ProcessAsync(harness.Channel, 1, false, "", Queue, delivered, Body("a"), CancellationToken.None);

        Activity process = Assert.Single(spans.RabbitHaSpans);
        Assert.Equal(ActivityStatusCode.Error, process.Status);
        Assert.Equal("handler-failed", process.Tag("error.type"));
        Assert.Equal(typeof(InvalidOperationException).FullName, Assert.Single(process.EventsNamed("exception")).Tag("exception.type"));
        ActivityEvent requeued = Assert.Single(process.EventsNamed(RabbitHaConsumerDiagnostics.DeliveryRequeuedEvent));
        Assert.Equal(1, requeued.Tag("rabbitha.delivery.attempt"));
        Assert.Equal("handler-failed", requeued.Tag("rabbitha.delivery.requeue.reason"));
        Assert.Equal("copy", requeued.Tag("rabbitha.delivery.requeue.method"));
        RabbitHaOutgoingMessage copy = Assert.Single(harness.Publisher.Confirmed);
        Assert.Equal(SpanRecorder.TraceParent(delivered), SpanRecorder.TraceParent(copy.Properties!));
    }

    [Fact]
    public async Task ProcessAsync_OnAQuorumQueue_RecordsARequeueByTheBroker()
    {
        using var spans = new SpanRecorder();
        var harness = new ProcessorHarness { QueueType = RabbitHaQueueType.Quorum };

        await harness.Create(new ScriptedHandler { Fail = true }).ProcessAsync(harness.Channel, 1, false, "", Queue, Carrying(s_published, "m-1"), Body("a"), CancellationToken.None);

        ActivityEvent requeued = Assert.Single(Assert.Single(spans.RabbitHaSpans).EventsNamed(RabbitHaConsumerDiagnostics.DeliveryRequeuedEvent));
        Assert.Equal("requeue", requeued.Tag("rabbitha.delivery.requeue.method"));
    }

    [Fact]
    public async Task ProcessAsync_OnTheLastAttempt_RecordsTheDeadLettering_AndTheDeadLetterCopyKeepsTheContext()
    {
        using var spans = new SpanRecorder();
        var harness = new ProcessorHarness();
        harness.Options.MaxDeliveryAttempts = 1;
        BasicProperties delivered = Carrying(s_published, "m-1");

        await harness.Create(new ScriptedHandler { Fail = true }).ProcessAsync(harness.Channel, 1, false, "", Queue, delivered, Body("a"), CancellationToken.None);

        ActivityEvent deadLettered = Assert.Single(Assert.Single(spans.RabbitHaSpans).EventsNamed(RabbitHaConsumerDiagnostics.DeadLetteredEvent));
        Assert.Equal("handler-failed", deadLettered.Tag("rabbitha.dead_letter.reason"));
        Assert.Equal(DeadLetterQueueName, deadLettered.Tag("rabbitha.dead_letter.queue"));
        RabbitHaOutgoingMessage copy = Assert.Single(harness.Publisher.Confirmed);
        Assert.Equal(DeadLetterQueueName, copy.RoutingKey);
        Assert.Equal(SpanRecorder.TraceParent(delivered), SpanRecorder.TraceParent(copy.Properties!));
    }

    [Fact]
    public async Task ProcessAsync_WhenTheHandlerTimesOut_RecordsTheTimeout()
    {
        using var spans = new SpanRecorder();
        var harness = new ProcessorHarness();
        harness.Options.HandlerTimeout = TimeSpan.FromMilliseconds(100);
        harness.Options.CancellationGrace = TimeSpan.FromSeconds(5);

        await harness.Create(new LambdaHandler((_, token) => Task.Delay(Timeout.Infinite, token)))
            .ProcessAsync(harness.Channel, 1, false, "", Queue, Carrying(s_published, "m-1"), Body("a"), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(10));

        Activity process = Assert.Single(spans.RabbitHaSpans);
        ActivityEvent timedOut = Assert.Single(process.EventsNamed(RabbitHaConsumerDiagnostics.HandlerTimedOutEvent));
        Assert.Equal(false, timedOut.Tag("rabbitha.handler.abandoned"));
        Assert.Equal("handler-timed-out", process.Tag("error.type"));
        Assert.Single(process.EventsNamed(RabbitHaConsumerDiagnostics.DeliveryRequeuedEvent));
    }

    [Fact]
    public async Task PublishThenProcess_TheHandlersSpanIsAChildOfThePublish_AfterAResendToo()
    {
        using var spans = new SpanRecorder();
        await using var publishing = new PublisherHarness(o => o.MaxNackRetries = 3);
        int sends = 0;
        publishing.Broker.Answer = publish =>
        {
            SpanRecorder.SendAsRabbitMqClientDoes(publish.Properties);
            return Interlocked.Increment(ref sends) == 1 ? BrokerAnswer.Nack : BrokerAnswer.Ack;
        };
        await publishing.Publisher.PublishAsync(PublisherHarness.Message(routingKey: Queue));
        Activity publish = Assert.Single(spans.RabbitHaSpans);
        PublishingBroker.Publish confirmed = publishing.Broker.Publishes[^1];
        Assert.True(confirmed.Resent);

        var consuming = new ProcessorHarness();
        await consuming.Create(new ScriptedHandler()).ProcessAsync(consuming.Channel, 1, false, confirmed.Exchange, confirmed.RoutingKey,
            SpanRecorder.AsDelivered(confirmed.Properties), Body("a"), CancellationToken.None);

        Activity process = spans.RabbitHaSpans.Single(s => s.Kind == ActivityKind.Consumer);
        Assert.Equal(publish.TraceId, process.TraceId);
        Assert.Equal(publish.SpanId, process.ParentSpanId);
    }

    /// <summary>Properties as delivered, carrying <paramref name="context"/> as its publisher injected it.</summary>
    private static BasicProperties Carrying(ActivityContext context, string messageId)
    {
        BasicProperties properties = Properties(messageId);
        properties.Headers = new Dictionary<string, object?>
        {
            ["traceparent"] = Encoding.UTF8.GetBytes($"00-{context.TraceId}-{context.SpanId}-01"),
        };
        return properties;
    }
}
