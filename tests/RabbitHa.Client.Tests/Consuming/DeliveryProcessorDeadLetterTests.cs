using System.Text;
using Microsoft.Extensions.DependencyInjection;
using RabbitHa.Client.Internal.Consuming;
using RabbitHa.Client.Internal.Publishing;
using RabbitMQ.Client;
using static RabbitHa.Client.Tests.Consuming.ProcessorHarness;

namespace RabbitHa.Client.Tests.Consuming;

/// <summary>A message given up on: copied, confirmed, to the dead-letter queue before its acknowledgement, or as the strategy says.</summary>
[Trait("Category", "Unit")]
public sealed class DeliveryProcessorDeadLetterTests
{
    private static readonly DateTimeOffset s_now = new(2025, 3, 4, 5, 6, 7, 890, TimeSpan.Zero);

    [Fact]
    public async Task ProcessAsync_WhenHandlerAlwaysThrows_DeadLettersCopyWithReasonHeaders()
    {
        var harness = new ProcessorHarness { Time = new FixedTimeProvider(s_now) };
        harness.Options.MaxDeliveryAttempts = 3;
        harness.Options.Name = "billing";
        BasicProperties properties = FullProperties();
        properties.Headers![RabbitHaHeaders.ConsumerDeliveryCount] = 2;

        await harness.Create(new ScriptedHandler { Fail = true }).ProcessAsync(harness.Channel, 5, false, "orders-exchange", "orders.created", properties, Body("poison"), CancellationToken.None);

        RabbitHaOutgoingMessage copy = Assert.Single(harness.Publisher.Confirmed);
        Assert.Equal(("", DeadLetterQueueName, true), (copy.Exchange, copy.RoutingKey, copy.Mandatory));
        Assert.Equal("poison"u8.ToArray(), copy.Body.ToArray());
        BasicProperties p = copy.Properties!;
        Assert.Equal(
            ("m-1", "c-1", "application/json", "utf-8", DeliveryModes.Persistent, (byte)7, "replies", "order-placed", "orders-api", 1_700_000_000L),
            (p.MessageId, p.CorrelationId, p.ContentType, p.ContentEncoding, p.DeliveryMode, p.Priority, p.ReplyTo, p.Type, p.AppId, p.Timestamp.UnixTime));
        Assert.Equal("t-1", HeaderText(copy, "tenant"));
        Assert.Equal("handler-failed", HeaderText(copy, RabbitHaHeaders.DeadLetterReason));
        Assert.Equal(typeof(InvalidOperationException).FullName, HeaderText(copy, RabbitHaHeaders.ExceptionType));
        Assert.Equal("scripted failure", HeaderText(copy, RabbitHaHeaders.ExceptionMessage));
        Assert.Equal(3, HeaderNumber(copy, RabbitHaHeaders.Attempts));
        Assert.Equal("billing", HeaderText(copy, RabbitHaHeaders.Consumer));
        Assert.Equal(Queue, HeaderText(copy, RabbitHaHeaders.SourceQueue));
        Assert.Equal("orders-exchange", HeaderText(copy, RabbitHaHeaders.OriginalExchange));
        Assert.Equal("orders.created", HeaderText(copy, RabbitHaHeaders.OriginalRoutingKey));
        Assert.Equal("2025-03-04T05:06:07.890Z", HeaderText(copy, RabbitHaHeaders.DeadLetteredAt));
        Assert.Null(HeaderNumber(copy, RabbitHaHeaders.ConsumerDeliveryCount));
        Assert.Equal([("ack", 5UL)], harness.Recorder.Settled);
        Assert.Contains($"to dead-letter queue '{DeadLetterQueueName}' after 3 attempt(s) (handler-failed)", harness.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessAsync_AcknowledgesOnlyOnceTheDeadLetterCopyIsConfirmed()
    {
        var harness = new ProcessorHarness();
        harness.Options.FailureAction = RabbitHaFailureAction.DeadLetter;
        var confirm = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var publishing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Publisher.OnPublish = (_, _) =>
        {
            publishing.TrySetResult();
            return confirm.Task;
        };

        Task processing = harness.Create(new ScriptedHandler { Fail = true }).ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);
        await publishing.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await Task.Delay(50);

        Assert.Empty(harness.Recorder.Settled);
        confirm.SetResult();
        await processing.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal([("ack", 1UL)], harness.Recorder.Settled);
    }

    public static TheoryData<Exception> PublishFailures() => new()
    {
        RecordingPublisher.Failure(RabbitHaPublishFailureReason.TimedOut),
        RecordingPublisher.Failure(RabbitHaPublishFailureReason.Nacked),
        RecordingPublisher.Failure(RabbitHaPublishFailureReason.Rejected),
        new ObjectDisposedException("RabbitHaPublisher"),
        new InvalidOperationException("a publisher of the application's own failed"),
    };

    [Theory]
    [MemberData(nameof(PublishFailures))]
    public async Task ProcessAsync_WhenTheDeadLetterCopyCannotBePublished_RequeuesAfterTheDelayAndNeverAcknowledges(Exception failure)
    {
        var harness = new ProcessorHarness();
        harness.Options.FailureAction = RabbitHaFailureAction.DeadLetter;
        harness.Options.RequeueDelay = TimeSpan.FromMilliseconds(200);
        harness.Publisher.OnPublish = (_, _) => throw failure;
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await harness.Create(new ScriptedHandler { Fail = true }).ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);

        Assert.Equal([("requeue", 1UL)], harness.Recorder.Settled);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(180), $"requeued after {clock.Elapsed.TotalMilliseconds} ms");
        Assert.Contains("[DeadLetterPublishFailed]", harness.Logs.AllText, StringComparison.Ordinal);
        Assert.Empty(harness.Broker.Operations);
    }

    [Fact]
    public async Task ProcessAsync_WhenTheDeadLetterCopyIsUnroutable_RequeuesAndDeclaresTheDeadLetterQueueAgain()
    {
        var harness = new ProcessorHarness();
        harness.Options.FailureAction = RabbitHaFailureAction.DeadLetter;
        harness.Publisher.OnPublish = (_, _) => throw RecordingPublisher.Failure(RabbitHaPublishFailureReason.Unroutable);

        await harness.Create(new ScriptedHandler { Fail = true }).ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);

        Assert.Equal([("requeue", 1UL)], harness.Recorder.Settled);
        Assert.Equal([$"passive {DeadLetterQueueName}", $"declare {DeadLetterQueueName}"], harness.Broker.Operations);
        FakeBrokerConnection.DeclaredQueue declared = Assert.Single(harness.Broker.Queues);
        Assert.Equal((DeadLetterQueueName, true, false, false, (IDictionary<string, object?>?)null), (declared.Name, declared.Durable, declared.Exclusive, declared.AutoDelete, declared.Arguments));
    }

    [Fact]
    public async Task ProcessAsync_WhenBodyCannotBeDeserialized_DeadLettersAtOnceAsDeserializationFailed()
    {
        var harness = new ProcessorHarness();
        var handler = new PlacedOrderHandler();
        DeliveryProcessor processor = harness.Create(new InstanceMessageInvoker<PlacedOrder>(handler, new SystemTextJsonRabbitHaSerializer()));

        await processor.ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("not json"), CancellationToken.None);

        RabbitHaOutgoingMessage copy = Assert.Single(harness.Publisher.Confirmed);
        Assert.Equal(DeadLetterQueueName, copy.RoutingKey);
        Assert.Equal("deserialization-failed", HeaderText(copy, RabbitHaHeaders.DeadLetterReason));
        Assert.Equal(typeof(FormatException).FullName, HeaderText(copy, RabbitHaHeaders.ExceptionType));
        Assert.Contains("not a valid PlacedOrder", HeaderText(copy, RabbitHaHeaders.ExceptionMessage), StringComparison.Ordinal);
        Assert.Equal(1, HeaderNumber(copy, RabbitHaHeaders.Attempts));
        Assert.Equal(0, handler.Calls);
        Assert.Equal([("ack", 1UL)], harness.Recorder.Settled);
    }

    [Fact]
    public async Task ProcessAsync_WhenTheHandlersConstructorThrows_RetriesThenDeadLettersAsHandlerUnavailable()
    {
        var harness = new ProcessorHarness();
        harness.Options.MaxDeliveryAttempts = 2;
        var services = new ServiceCollection();
        services.AddScoped<UnconstructibleHandler>();
        await using ServiceProvider provider = services.BuildServiceProvider();
        DeliveryProcessor processor = harness.Create(new ScopedMessageInvoker<UnconstructibleHandler, ReadOnlyMemory<byte>>(
            provider.GetRequiredService<IServiceScopeFactory>(), new SystemTextJsonRabbitHaSerializer()));

        await processor.ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);
        RabbitHaOutgoingMessage retry = Assert.Single(harness.Publisher.Confirmed);
        await processor.ProcessAsync(harness.Channel, 2, false, "", Queue, AsDelivered(retry), retry.Body, CancellationToken.None);

        Assert.Equal([Queue, DeadLetterQueueName], harness.Publisher.Confirmed.Select(p => p.RoutingKey));
        RabbitHaOutgoingMessage copy = harness.Publisher.Confirmed[1];
        Assert.Equal("handler-unavailable", HeaderText(copy, RabbitHaHeaders.DeadLetterReason));
        Assert.Equal(typeof(NotSupportedException).FullName, HeaderText(copy, RabbitHaHeaders.ExceptionType));
        Assert.Contains("UnconstructibleHandler could not be created: no database in this test", HeaderText(copy, RabbitHaHeaders.ExceptionMessage), StringComparison.Ordinal);
        Assert.Equal(2, HeaderNumber(copy, RabbitHaHeaders.Attempts));
        Assert.Equal([("ack", 1UL), ("ack", 2UL)], harness.Recorder.Settled);
    }

    [Fact]
    public async Task ProcessAsync_WhenStrategyIsDiscard_AcknowledgesAndLogsOneWarningPerMessage()
    {
        var harness = new ProcessorHarness();
        harness.Options.FailureAction = RabbitHaFailureAction.DeadLetter;
        harness.Options.DeadLetterStrategy = RabbitHaDeadLetterStrategy.Discard;
        DeliveryProcessor processor = harness.Create(new ScriptedHandler { Fail = true });

        for (ulong tag = 1; tag <= 3; tag++)
        {
            await processor.ProcessAsync(harness.Channel, tag, false, "", Queue, Properties($"m-{tag}"), Body("a"), CancellationToken.None);
        }

        string[] warnings = harness.Logs.Lines.Where(l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("[MessageDiscarded]", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, warnings.Length);
        for (int n = 1; n <= 3; n++)
        {
            Assert.Contains(warnings, w => w.Contains($"Consumer '{Queue}' discarded message 'm-{n}' from queue '{Queue}'", StringComparison.Ordinal)
                && w.Contains("(handler-failed)", StringComparison.Ordinal));
        }

        Assert.Equal([("ack", 1UL), ("ack", 2UL), ("ack", 3UL)], harness.Recorder.Settled);
        Assert.Empty(harness.Publisher.Attempted);
    }

    [Fact]
    public async Task ProcessAsync_WhenStrategyIsBroker_RejectsWithoutRequeue()
    {
        var harness = new ProcessorHarness();
        harness.Options.MaxDeliveryAttempts = 1;
        harness.Options.DeadLetterStrategy = RabbitHaDeadLetterStrategy.Broker;

        await harness.Create(new ScriptedHandler { Fail = true }).ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);

        Assert.Equal([("dead-letter", 1UL)], harness.Recorder.Settled);
        Assert.Empty(harness.Publisher.Attempted);
    }

    [Fact]
    public async Task ProcessAsync_WhenFailureActionIsDeadLetter_DeadLettersAtTheFirstFailure()
    {
        var harness = new ProcessorHarness();
        harness.Options.FailureAction = RabbitHaFailureAction.DeadLetter;
        harness.Options.DeadLetterQueue = "parked-orders";

        await harness.Create(new ScriptedHandler { Fail = true }).ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);

        RabbitHaOutgoingMessage copy = Assert.Single(harness.Publisher.Confirmed);
        Assert.Equal("parked-orders", copy.RoutingKey);
        Assert.Equal(1, HeaderNumber(copy, RabbitHaHeaders.Attempts));
        Assert.Equal([("ack", 1UL)], harness.Recorder.Settled);
    }

    [Fact]
    public async Task ProcessAsync_DeadLetterCopy_LeavesOutExpirationAndUserId_AndCutsALongExceptionMessage()
    {
        var harness = new ProcessorHarness();
        harness.Options.FailureAction = RabbitHaFailureAction.DeadLetter;
        BasicProperties properties = Properties("m-1");
        properties.Expiration = "60000";
        properties.UserId = "someone-else";
        properties.DeliveryMode = DeliveryModes.Transient;
        var handler = new ThrowingHandler(new string('x', 5000));

        await harness.Create(handler).ProcessAsync(harness.Channel, 1, false, "", Queue, properties, Body("a"), CancellationToken.None);

        RabbitHaOutgoingMessage copy = Assert.Single(harness.Publisher.Confirmed);
        Assert.Null(copy.Properties!.Expiration);
        Assert.Null(copy.Properties.UserId);
        Assert.Equal(DeliveryModes.Persistent, copy.Properties.DeliveryMode);
        Assert.Equal(MessageCopies.MaxExceptionMessageLength, HeaderText(copy, RabbitHaHeaders.ExceptionMessage)!.Length);
        Assert.Equal("60000", properties.Expiration);
    }

    private static BasicProperties FullProperties() => new()
    {
        MessageId = "m-1",
        CorrelationId = "c-1",
        ContentType = "application/json",
        ContentEncoding = "utf-8",
        DeliveryMode = DeliveryModes.Persistent,
        Priority = 7,
        ReplyTo = "replies",
        Type = "order-placed",
        AppId = "orders-api",
        Timestamp = new AmqpTimestamp(1_700_000_000),
        Headers = new Dictionary<string, object?> { ["tenant"] = Encoding.UTF8.GetBytes("t-1") },
    };

    private sealed class UnconstructibleHandler : IRabbitHaHandler<ReadOnlyMemory<byte>>
    {
        public UnconstructibleHandler() => throw new NotSupportedException("no database in this test");

        public Task HandleAsync(ReadOnlyMemory<byte> message, RabbitHaMessageContext context, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class ThrowingHandler(string failure) : IRabbitHaHandler<ReadOnlyMemory<byte>>
    {
        public Task HandleAsync(ReadOnlyMemory<byte> message, RabbitHaMessageContext context, CancellationToken cancellationToken) =>
            throw new InvalidOperationException(failure);
    }
}
