using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;

namespace RabbitHa.Client.Tests.Consuming;

[Trait("Category", "Unit")]
public sealed class DeliveryProcessorTests
{
    private const string Queue = "orders";

    [Fact]
    public async Task ProcessAsync_WhenHandlerSucceeds_Acknowledges()
    {
        var handler = new ScriptedHandler();
        (IChannel channel, RecordingChannel recorder) = RecordingChannel.Create();

        await Processor(handler).ProcessAsync(channel, 7, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);

        Assert.Equal([("ack", 7UL)], recorder.Settled);
        Assert.Equal(1, handler.Calls);
    }

    [Fact]
    public async Task ProcessAsync_WhenHandlerThrowsBelowTheLimit_RequeuesAndCountsTheAttempt()
    {
        var handler = new ScriptedHandler { Fail = true };
        (IChannel channel, RecordingChannel recorder) = RecordingChannel.Create();
        DeliveryProcessor processor = Processor(handler, o => o.MaxDeliveryAttempts = 3);

        await processor.ProcessAsync(channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);
        await processor.ProcessAsync(channel, 2, true, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);
        await processor.ProcessAsync(channel, 3, true, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);

        Assert.Equal([("requeue", 1UL), ("requeue", 2UL), ("dead-letter", 3UL)], recorder.Settled);
        Assert.Equal([1, 2, 3], handler.DeliveryCounts);
    }

    [Fact]
    public async Task ProcessAsync_WhenHandlerThrows_WaitsTheRequeueDelayBeforeRequeueing()
    {
        (IChannel channel, RecordingChannel recorder) = RecordingChannel.Create();
        DeliveryProcessor processor = Processor(new ScriptedHandler { Fail = true }, o => o.RequeueDelay = TimeSpan.FromMilliseconds(300));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await processor.ProcessAsync(channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(280), $"requeued after {clock.Elapsed.TotalMilliseconds} ms");
        Assert.Equal([("requeue", 1UL)], recorder.Settled);
    }

    [Fact]
    public async Task ProcessAsync_WhenStoppedDuringTheRequeueDelay_RequeuesAtOnce()
    {
        (IChannel channel, RecordingChannel recorder) = RecordingChannel.Create();
        DeliveryProcessor processor = Processor(new ScriptedHandler { Fail = true }, o => o.RequeueDelay = TimeSpan.FromSeconds(30));
        using var stopping = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await processor.ProcessAsync(channel, 1, false, "", Queue, Properties("m-1"), Body("a"), stopping.Token).WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal([("requeue", 1UL)], recorder.Settled);
    }

    [Fact]
    public async Task ProcessAsync_WhenQuorumHeaderSaysLastAttempt_DeadLetters()
    {
        var handler = new ScriptedHandler { Fail = true };
        (IChannel channel, RecordingChannel recorder) = RecordingChannel.Create();
        BasicProperties properties = Properties("m-1");
        properties.Headers = new Dictionary<string, object?> { [RabbitHaHeaders.DeliveryCount] = 4L };

        await Processor(handler, o => o.MaxDeliveryAttempts = 5).ProcessAsync(channel, 9, true, "", Queue, properties, Body("a"), CancellationToken.None);

        Assert.Equal([("dead-letter", 9UL)], recorder.Settled);
        Assert.Equal([5], handler.DeliveryCounts);
    }

    [Fact]
    public async Task ProcessAsync_WhenFailureActionIsDeadLetter_DeadLettersAtTheFirstFailure()
    {
        (IChannel channel, RecordingChannel recorder) = RecordingChannel.Create();

        await Processor(new ScriptedHandler { Fail = true }, o => o.FailureAction = RabbitHaFailureAction.DeadLetter)
            .ProcessAsync(channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);

        Assert.Equal([("dead-letter", 1UL)], recorder.Settled);
    }

    [Fact]
    public async Task ProcessAsync_WhenBodyCannotBeDeserialized_DeadLettersWithoutCallingTheHandler()
    {
        var handler = new TypedHandler();
        (IChannel channel, RecordingChannel recorder) = RecordingChannel.Create();
        var options = new RabbitHaConsumerOptions { Queue = Queue };
        var processor = new DeliveryProcessor(options, new InstanceMessageInvoker<Order>(handler, new SystemTextJsonRabbitHaSerializer()), null,
            new ConsumerMetrics(new RabbitHaMetrics()), NullLogger.Instance);

        await processor.ProcessAsync(channel, 1, false, "", Queue, Properties("m-1"), Body("not json"), CancellationToken.None);

        Assert.Equal([("dead-letter", 1UL)], recorder.Settled);
        Assert.Equal(0, handler.Calls);
    }

    [Fact]
    public async Task ProcessAsync_WithDeduplication_DropsACopyAlreadyHandled()
    {
        var handler = new ScriptedHandler();
        var store = new InMemoryRabbitHaDeduplicationStore();
        (IChannel channel, RecordingChannel recorder) = RecordingChannel.Create();
        DeliveryProcessor processor = Processor(handler, o => o.DeduplicateByMessageId = true, store);

        await processor.ProcessAsync(channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);
        await processor.ProcessAsync(channel, 2, true, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);

        Assert.Equal(1, handler.Calls);
        Assert.Equal([("ack", 1UL), ("ack", 2UL)], recorder.Settled);
    }

    [Fact]
    public async Task ProcessAsync_WithDeduplication_AFailedMessageIsHandledAgainWhenRedelivered()
    {
        var handler = new ScriptedHandler { Fail = true };
        var store = new InMemoryRabbitHaDeduplicationStore();
        (IChannel channel, RecordingChannel recorder) = RecordingChannel.Create();
        DeliveryProcessor processor = Processor(handler, o => o.DeduplicateByMessageId = true, store);

        await processor.ProcessAsync(channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);
        handler.Fail = false;
        await processor.ProcessAsync(channel, 2, true, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);

        Assert.Equal(2, handler.Calls);
        Assert.Equal([("requeue", 1UL), ("ack", 2UL)], recorder.Settled);
        Assert.Equal(RabbitHaDeduplicationResult.AlreadyHandled, await store.TryClaimAsync(Queue, "m-1", CancellationToken.None));
    }

    [Fact]
    public async Task ProcessAsync_WhenHandlerIsCancelled_RequeuesWithoutCountingAFailure()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var handler = new ScriptedHandler { HonourCancellation = true };
        (IChannel channel, RecordingChannel recorder) = RecordingChannel.Create();
        DeliveryProcessor processor = Processor(handler, o => o.MaxDeliveryAttempts = 1);

        await processor.ProcessAsync(channel, 1, false, "", Queue, Properties("m-1"), Body("a"), cancelled.Token);

        Assert.Equal([("requeue", 1UL)], recorder.Settled);
    }

    [Fact]
    public async Task ProcessAsync_WhenTheChannelHasClosed_DoesNotThrow()
    {
        (IChannel channel, RecordingChannel recorder) = RecordingChannel.Create();
        recorder.Closed = true;

        await Processor(new ScriptedHandler()).ProcessAsync(channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);

        Assert.Empty(recorder.Settled);
    }

    private static DeliveryProcessor Processor(ScriptedHandler handler, Action<RabbitHaConsumerOptions>? configure = null, IRabbitHaDeduplicationStore? store = null)
    {
        // No pause before a requeue unless a test asks for one: the other tests are about what is decided, not when.
        var options = new RabbitHaConsumerOptions { Queue = Queue, RequeueDelay = TimeSpan.Zero };
        configure?.Invoke(options);
        return new DeliveryProcessor(options, new InstanceMessageInvoker<ReadOnlyMemory<byte>>(handler, new SystemTextJsonRabbitHaSerializer()),
            store, new ConsumerMetrics(new RabbitHaMetrics()), NullLogger.Instance);
    }

    private static BasicProperties Properties(string messageId) => new() { MessageId = messageId };

    private static ReadOnlyMemory<byte> Body(string text) => Encoding.UTF8.GetBytes(text);

    private sealed record Order(string Id);

    private sealed class TypedHandler : IRabbitHaHandler<Order>
    {
        public int Calls { get; private set; }

        public Task HandleAsync(Order message, RabbitHaMessageContext context, CancellationToken cancellationToken)
        {
            Calls++;
            return Task.CompletedTask;
        }
    }

    private sealed class ScriptedHandler : IRabbitHaHandler<ReadOnlyMemory<byte>>
    {
        public bool Fail { get; set; }

        public bool HonourCancellation { get; init; }

        public int Calls { get; private set; }

        public List<int> DeliveryCounts { get; } = [];

        public Task HandleAsync(ReadOnlyMemory<byte> message, RabbitHaMessageContext context, CancellationToken cancellationToken)
        {
            Calls++;
            DeliveryCounts.Add(context.DeliveryCount);
            if (HonourCancellation)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            return Fail ? throw new InvalidOperationException("scripted failure") : Task.CompletedTask;
        }
    }
}
