using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RabbitHa.Client.Internal.Consuming;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Publishing;

namespace RabbitHa.Client;

/// <summary>
/// A consumer that stays subscribed: it acknowledges each message its handler handled, retries or
/// dead-letters (by default into a dead-letter queue of its own) the ones it failed, and resubscribes by itself after a connection loss, a channel closed by
/// the broker or a consumer cancelled by the broker, with backoff, until stopped.
/// </summary>
/// <remarks>
/// <para>
/// Every consumer runs on a connection <c>AddRabbitHa()</c> made: it makes the only <see cref="IRabbitHaConnection"/>, and
/// there is no connection without dependency injection. There are two ways to have a consumer. Those known at start are
/// registered with <c>AddRabbitHa(...).AddConsumer&lt;THandler&gt;("queue")</c>: RabbitHa's hosted service starts and stops
/// them with the host, and the <c>"rabbitha"</c> health check reports on them. Consumers decided at run time (a queue named by a request,
/// a tenant added later) are made with <see cref="Create{TMessage}"/> on the container's main connection; whoever creates one
/// starts, stops and disposes it, and it is not in the health check.
/// </para>
/// <para>
/// No host is needed: <c>new ServiceCollection().AddRabbitHa(...)</c> and <c>BuildServiceProvider()</c> work in any
/// application. The connection then opens on first use (<see cref="IRabbitHaConnection.ConnectAsync"/>, or the
/// first channel a consumer or the publisher asks for), and the options are validated when it is first resolved; the
/// consumers registered with <c>AddConsumer</c> are not started (only the host starts them), so use
/// <see cref="Create{TMessage}"/>. Stop those consumers, then dispose the provider with <c>DisposeAsync</c>: that closes the
/// connections.
/// </para>
/// <para>
/// <see cref="StartAsync"/> returns at once; the consumer subscribes in the background, waiting for the
/// connection and for the queue to exist. <see cref="StopAsync"/> stops taking deliveries, lets the running
/// handlers finish (up to <see cref="RabbitHaConsumerOptions.StopTimeout"/>), then closes the channel: the
/// broker requeues whatever was not acknowledged.
/// </para>
/// </remarks>
public sealed class RabbitHaConsumer : IAsyncDisposable
{
    private readonly ConsumerSupervisor _supervisor;
    private readonly RabbitHaMetrics? _ownedMetrics;
    private readonly RabbitHaPublisher? _ownedPublisher;

    internal RabbitHaConsumer(ConsumerSupervisor supervisor, RabbitHaMetrics? ownedMetrics = null, RabbitHaPublisher? ownedPublisher = null)
    {
        _supervisor = supervisor;
        _ownedMetrics = ownedMetrics;
        _ownedPublisher = ownedPublisher;
    }

    /// <summary>Gets the consumer's name: <see cref="RabbitHaConsumerOptions.Name"/>, or the queue.</summary>
    public string Name => _supervisor.Name;

    /// <summary>Gets the queue the consumer consumes from.</summary>
    public string Queue => _supervisor.Queue;

    /// <summary>Gets a value indicating whether the consumer is subscribed right now (not between a lost subscription and the next).</summary>
    public bool IsSubscribed => _supervisor.IsSubscribed;

    /// <summary>Gets the supervisor, for tests.</summary>
    internal ConsumerSupervisor Supervisor => _supervisor;

    /// <summary>
    /// Creates a consumer at run time, on the connection <c>AddRabbitHa()</c> registered, for a queue not known when the
    /// services were registered (those known then are registered with <c>AddConsumer</c>, and start with the host). The
    /// handler is an instance, not resolved from the container. It works with a host or without one (see the remarks of
    /// <see cref="RabbitHaConsumer"/>).
    /// </summary>
    /// <typeparam name="TMessage">The handler's message type; <see cref="ReadOnlyMemory{T}"/> of <see cref="byte"/> for the raw body.</typeparam>
    /// <param name="connection">
    /// The main connection, <c>services.GetRequiredService&lt;IRabbitHaConnection&gt;()</c> (the publishing one, keyed
    /// <see cref="RabbitHaServiceKeys.PublisherConnection"/>, is for publishes); the consumer opens its own channels on it, and
    /// they open the connection if nobody has yet.
    /// </param>
    /// <param name="handler">The handler, called for every message, concurrently when <see cref="RabbitHaConsumerOptions.Concurrency"/> is above 1.</param>
    /// <param name="options">The options, with at least <see cref="RabbitHaConsumerOptions.Queue"/> set; copied.</param>
    /// <param name="serializer">Deserializes message bodies; <see langword="null"/> for <see cref="SystemTextJsonRabbitHaSerializer"/>.</param>
    /// <param name="deduplicationStore">Remembers handled message ids when <see cref="RabbitHaConsumerOptions.DeduplicateByMessageId"/> is on; <see langword="null"/> for a new <see cref="InMemoryRabbitHaDeduplicationStore"/>.</param>
    /// <param name="loggerFactory">Where to log; <see langword="null"/> for no logs.</param>
    /// <param name="deadLetterPublisher">
    /// Publishes, confirmed, the copies the consumer sends to its dead-letter queue and, on classic queues, back to its
    /// queue with the attempt count (see <see cref="RabbitHaConsumerOptions.MaxDeliveryAttempts"/>). <see langword="null"/>
    /// for a publisher of the consumer's own on <paramref name="connection"/>. Pass a publisher on another connection
    /// (<c>AddRabbitHa</c> registers one on its publishing connection): during a resource alarm the broker blocks a
    /// connection that publishes, and on the consumer's connection that would stop its acknowledgements too.
    /// </param>
    /// <returns>The consumer, not started: <see cref="StartAsync"/> starts it; stopping and disposing it are the caller's (the hosted service does not know it).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="connection"/>, <paramref name="handler"/> or <paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> are invalid; the message names each bad option and its value.</exception>
    public static RabbitHaConsumer Create<TMessage>(
        IRabbitHaConnection connection,
        IRabbitHaHandler<TMessage> handler,
        RabbitHaConsumerOptions options,
        IRabbitHaSerializer? serializer = null,
        IRabbitHaDeduplicationStore? deduplicationStore = null,
        ILoggerFactory? loggerFactory = null,
        IRabbitHaPublisher? deadLetterPublisher = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        RabbitHaConsumerOptionsValidator.ThrowIfInvalid(options, nameof(options));

        var metrics = new RabbitHaMetrics();
        IRabbitHaSerializer bodySerializer = serializer ?? new SystemTextJsonRabbitHaSerializer();
        var invoker = new InstanceMessageInvoker<TMessage>(handler, bodySerializer);
        IRabbitHaDeduplicationStore? store = options.DeduplicateByMessageId ? deduplicationStore ?? new InMemoryRabbitHaDeduplicationStore() : null;
        ILoggerFactory loggers = loggerFactory ?? NullLoggerFactory.Instance;
        RabbitHaPublisher? ownedPublisher = null;
        IRabbitHaPublisher publisher = deadLetterPublisher ?? (ownedPublisher = new RabbitHaPublisher(
            connection, Options.Create(new RabbitHaPublisherOptions()), bodySerializer, new PublisherMetrics(metrics), loggers.CreateLogger<RabbitHaPublisher>()));
        var supervisor = new ConsumerSupervisor(connection, options, invoker, store, publisher, new ConsumerMetrics(metrics), loggers.CreateLogger<RabbitHaConsumer>());
        return new RabbitHaConsumer(supervisor, metrics, ownedPublisher);
    }

    /// <summary>Starts consuming: the consumer subscribes in the background and keeps itself subscribed until stopped. Idempotent.</summary>
    /// <param name="cancellationToken">Not used: starting does not wait for anything. Present for symmetry with <see cref="StopAsync"/>.</param>
    /// <returns>A completed task.</returns>
    /// <exception cref="ObjectDisposedException">The consumer has been stopped; create a new one.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        _supervisor.Start();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops consuming: no new deliveries, running handlers get <see cref="RabbitHaConsumerOptions.StopTimeout"/> to
    /// finish and be acknowledged, then the channel is closed and the broker requeues what was not acknowledged.
    /// Idempotent; a stopped consumer cannot be started again.
    /// </summary>
    /// <param name="cancellationToken">Cuts the wait for running handlers short: their tokens are cancelled and their messages requeued.</param>
    /// <returns>A task that completes when the consumer has stopped.</returns>
    public Task StopAsync(CancellationToken cancellationToken = default) => _supervisor.StopAsync(cancellationToken);

    /// <summary>Stops the consumer (see <see cref="StopAsync"/>) and releases what it owns. The connection stays open.</summary>
    /// <returns>A task that completes when the consumer has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await _supervisor.DisposeAsync().ConfigureAwait(false);
        if (_ownedPublisher is not null)
        {
            await _ownedPublisher.DisposeAsync().ConfigureAwait(false);
        }

        _ownedMetrics?.Dispose();
    }
}
