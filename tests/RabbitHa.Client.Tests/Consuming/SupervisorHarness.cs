using Microsoft.Extensions.Logging;
using RabbitHa.Client.Internal.Consuming;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Tests.TestSupport;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace RabbitHa.Client.Tests.Consuming;

/// <summary>
/// One <see cref="ConsumerSupervisor"/> on a <see cref="FakeBrokerConnection"/> that takes subscriptions: each one's
/// channel is a <see cref="RecordingChannel"/> on which the test delivers messages, cancels the consumer as the broker
/// would, or shuts the channel down.
/// </summary>
internal sealed class SupervisorHarness : IAsyncDisposable
{
    public const string Queue = "orders";

    private ConsumerSupervisor? _supervisor;

    public FakeBrokerConnection Broker { get; } = new() { SubscriptionChannelFailure = null };

    /// <summary>Gets the options: quick to resubscribe and to give up on a cancelled handler; the message goes to the broker's dead-letter exchange, so no dead-letter queue is declared.</summary>
    public RabbitHaConsumerOptions Options { get; } = new()
    {
        Queue = Queue,
        RequeueDelay = TimeSpan.Zero,
        ResubscribeDelay = TimeSpan.FromMilliseconds(10),
        MaxResubscribeDelay = TimeSpan.FromMilliseconds(50),
        DeadLetterStrategy = RabbitHaDeadLetterStrategy.Broker,
        HandlerTimeout = Timeout.InfiniteTimeSpan,
        CancellationGrace = TimeSpan.FromMilliseconds(100),
    };

    public RecordingPublisher Publisher { get; } = new();

    public CapturingLoggerProvider Logs { get; } = new();

    public ConsumerSupervisor Supervisor => _supervisor ?? throw new InvalidOperationException("Start first.");

    /// <summary>Gets the channel of the latest subscription.</summary>
    public RecordingChannel Current => Broker.SubscriptionChannels[^1];

    public ConsumerSupervisor Start(Func<RabbitHaMessageContext, CancellationToken, Task> handle, ILogger? logger = null)
    {
        _supervisor = new ConsumerSupervisor(Broker, Options, new InstanceMessageInvoker<ReadOnlyMemory<byte>>(new LambdaHandler(handle), new SystemTextJsonRabbitHaSerializer()),
            store: null, Publisher, new ConsumerMetrics(new RabbitHaMetrics()), logger ?? Logs.CreateLogger("consumer"));
        _supervisor.Start();
        return _supervisor;
    }

    /// <summary>Waits for subscription number <paramref name="count"/> (from 1) to be open, and returns its channel.</summary>
    public async Task<RecordingChannel> SubscribedAsync(int count, TimeSpan? timeout = null)
    {
        await Eventually.HoldsAsync(() => Broker.SubscriptionChannels.Count >= count && Broker.SubscriptionChannels[count - 1].Consumer is not null && Supervisor.IsSubscribed,
            $"subscription {count} is open", timeout);
        return Broker.SubscriptionChannels[count - 1];
    }

    public static ShutdownEventArgs ConnectionLost() => new(ShutdownInitiator.Library, 541, "Unexpected Exception");

    public async ValueTask DisposeAsync()
    {
        if (_supervisor is not null)
        {
            await _supervisor.DisposeAsync();
        }
    }
}

/// <summary>A raw-body handler that does what the test says.</summary>
internal sealed class LambdaHandler(Func<RabbitHaMessageContext, CancellationToken, Task> handle) : IRabbitHaHandler<ReadOnlyMemory<byte>>
{
    public Task HandleAsync(ReadOnlyMemory<byte> message, RabbitHaMessageContext context, CancellationToken cancellationToken) => handle(context, cancellationToken);
}

/// <summary>Counts the handlers running at once, and the most there ever were.</summary>
internal sealed class ConcurrencyMeter
{
    private int _running;
    private int _max;

    public int Running => Volatile.Read(ref _running);

    public int Max => Volatile.Read(ref _max);

    public async Task RunAsync(Func<Task> body)
    {
        int now = Interlocked.Increment(ref _running);
        int max;
        while (now > (max = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, now, max) != max)
        {
        }

        try
        {
            await body();
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }
}

/// <summary>A logger that throws on every entry at <see cref="From"/> or above, as a broken logging provider would.</summary>
internal sealed class ThrowingLogger(ILogger inner) : ILogger
{
    private int _thrown;

    public LogLevel From { get; init; } = LogLevel.Warning;

    public int Thrown => Volatile.Read(ref _thrown);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        inner.Log(logLevel, eventId, state, exception, formatter);
        if (logLevel >= From)
        {
            Interlocked.Increment(ref _thrown);
            throw new InvalidOperationException($"the logging provider is broken ({eventId.Name})");
        }
    }
}
