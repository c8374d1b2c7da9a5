using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitHa.Client.Internal.Consuming;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Tests.TestSupport;
using RabbitMQ.Client;

namespace RabbitHa.Client.Tests.Consuming;

/// <summary>
/// One consumer's <see cref="DeliveryProcessor"/> with everything it talks to recorded: the channel it settles on,
/// the publisher of its copies, the broker its dead-letter queue is declared on, and its logs.
/// </summary>
internal sealed class ProcessorHarness
{
    public const string Queue = "orders";
    public const string DeadLetterQueueName = "orders.dead-letter";

    public ProcessorHarness()
    {
        (Channel, Recorder) = RecordingChannel.Create();
    }

    /// <summary>Gets the options; no pause before a retry unless a test asks for one: most tests are about what is decided, not when.</summary>
    public RabbitHaConsumerOptions Options { get; } = new() { Queue = Queue, RequeueDelay = TimeSpan.Zero };

    public RecordingPublisher Publisher { get; } = new();

    public FakeBrokerConnection Broker { get; } = new();

    public CapturingLoggerProvider Logs { get; } = new();

    public IChannel Channel { get; }

    public RecordingChannel Recorder { get; }

    public RabbitHaQueueType QueueType { get; set; } = RabbitHaQueueType.Classic;

    public TimeProvider Time { get; set; } = TimeProvider.System;

    public IRabbitHaDeduplicationStore? Store { get; set; }

    /// <summary>Gets or sets a value indicating whether logs are thrown away: tests of many messages need not keep a line per failure.</summary>
    public bool Quiet { get; set; }

    public DeliveryProcessor Create(IRabbitHaHandler<ReadOnlyMemory<byte>> handler) =>
        Create(new InstanceMessageInvoker<ReadOnlyMemory<byte>>(handler, new SystemTextJsonRabbitHaSerializer()));

    public DeliveryProcessor Create(IMessageInvoker invoker)
    {
        ILogger logger = Quiet ? NullLogger.Instance : Logs.CreateLogger("consumer");
        var deadLetterQueue = new DeadLetterQueue(Broker, Options.EffectiveDeadLetterQueue, QueueType, Options.EffectiveName, Options.Queue, logger, CancellationToken.None);
        return new DeliveryProcessor(Options, invoker, Store, Publisher, deadLetterQueue, QueueType, new ConsumerMetrics(new RabbitHaMetrics()), logger, Time);
    }

    public static BasicProperties Properties(string messageId) => new() { MessageId = messageId };

    public static ReadOnlyMemory<byte> Body(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>
    /// A copy the consumer published, as the broker would deliver it back: through the default exchange, with string
    /// header values turned into the UTF-8 byte arrays that RabbitMQ.Client hands over.
    /// </summary>
    public static BasicProperties AsDelivered(RabbitHaOutgoingMessage copy)
    {
        var properties = new BasicProperties(copy.Properties!);
        properties.Headers = copy.Properties!.Headers?.ToDictionary(
            static pair => pair.Key,
            static pair => pair.Value is string text ? Encoding.UTF8.GetBytes(text) : pair.Value,
            StringComparer.Ordinal);
        return properties;
    }

    public static string? HeaderText(RabbitHaOutgoingMessage message, string header) =>
        MessageHeaders.GetString(message.Properties?.Headers, header);

    public static long? HeaderNumber(RabbitHaOutgoingMessage message, string header) =>
        MessageHeaders.GetInt64(message.Properties?.Headers, header);
}

/// <summary>A raw-body handler that fails while <see cref="Fail"/> is set, and remembers what it saw.</summary>
internal sealed class ScriptedHandler : IRabbitHaHandler<ReadOnlyMemory<byte>>
{
    private readonly List<RabbitHaMessageContext> _contexts = [];

    public bool Fail { get; set; }

    public bool HonourCancellation { get; init; }

    public int Calls
    {
        get
        {
            lock (_contexts)
            {
                return _contexts.Count;
            }
        }
    }

    public IReadOnlyList<int> DeliveryCounts
    {
        get
        {
            lock (_contexts)
            {
                return _contexts.Select(static c => c.DeliveryCount).ToArray();
            }
        }
    }

    public IReadOnlyList<RabbitHaMessageContext> Contexts
    {
        get
        {
            lock (_contexts)
            {
                return _contexts.ToArray();
            }
        }
    }

    public Task HandleAsync(ReadOnlyMemory<byte> message, RabbitHaMessageContext context, CancellationToken cancellationToken)
    {
        lock (_contexts)
        {
            _contexts.Add(context);
        }

        if (HonourCancellation)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }

        return Fail ? throw new InvalidOperationException("scripted failure") : Task.CompletedTask;
    }
}

/// <summary>A typed message, to prove deserialization and its failure.</summary>
internal sealed record PlacedOrder(string Id);

internal sealed class PlacedOrderHandler : IRabbitHaHandler<PlacedOrder>
{
    public int Calls { get; private set; }

    public Task HandleAsync(PlacedOrder message, RabbitHaMessageContext context, CancellationToken cancellationToken)
    {
        Calls++;
        return Task.CompletedTask;
    }
}

/// <summary>A clock that stands still, for the dead-lettered-at header.</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
