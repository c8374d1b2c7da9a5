using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace RabbitHa.Client;

/// <summary>
/// The application's one long-lived RabbitMQ connection, through HAProxy (falling back to the nodes), with
/// RabbitMQ.Client's automatic connection and topology recovery. Publishers and consumers each take their
/// own channel from it with <see cref="CreateChannelAsync"/>.
/// </summary>
/// <remarks>
/// <para>
/// The events are plain .NET events, raised synchronously on RabbitMQ.Client's connection or recovery
/// loop: keep handlers short and never block in them (start work elsewhere and return). A handler that
/// throws is logged and does not stop the other handlers or the recovery.
/// </para>
/// <para>Registered as a singleton by <c>AddRabbitHa()</c>; disposing it (the container does) closes the connection.</para>
/// </remarks>
public interface IRabbitHaConnection : IAsyncDisposable
{
    /// <summary>Raised when an open connection is lost (not when the application closes it). <see cref="State"/> is <see cref="RabbitHaConnectionState.Recovering"/> by then, or <see cref="RabbitHaConnectionState.Disconnected"/> if the broker closed it for good.</summary>
    event EventHandler<ShutdownEventArgs>? ConnectionLost;

    /// <summary>Raised when automatic recovery has reconnected and re-declared exchanges, queues and bindings. Consumers must resubscribe; RabbitMQ.Client does not do it for them here.</summary>
    event EventHandler? ConnectionRecovered;

    /// <summary>
    /// Raised when one recovery attempt failed; the next follows after <see cref="RabbitHaRecoveryOptions.RetryDelay"/>,
    /// doubling after each further failure up to <see cref="RabbitHaRecoveryOptions.MaxRetryDelay"/>.
    /// </summary>
    event EventHandler<ConnectionRecoveryErrorEventArgs>? RecoveryFailed;

    /// <summary>Raised when the broker blocks publishing on this connection (memory or disk alarm).</summary>
    event EventHandler<ConnectionBlockedEventArgs>? Blocked;

    /// <summary>Raised when the block ends: the broker lifted it, or the blocked connection was lost or closed.</summary>
    event EventHandler? Unblocked;

    /// <summary>Gets where the connection stands.</summary>
    RabbitHaConnectionState State { get; }

    /// <summary>Gets a value indicating whether the broker is blocking publishes on this connection.</summary>
    bool IsBlocked { get; }

    /// <summary>Gets the broker's reason for the block, or <see langword="null"/> when not blocked.</summary>
    string? BlockedReason { get; }

    /// <summary>Gets the connection name shown in the management UI.</summary>
    string ClientProvidedName { get; }

    /// <summary>Gets the endpoint the connection is on while <see cref="RabbitHaConnectionState.Open"/> (the proxy, or a fallback node), otherwise <see langword="null"/>.</summary>
    AmqpTcpEndpoint? CurrentEndpoint { get; }

    /// <summary>
    /// Gets the RabbitMQ version of the node the connection last opened or recovered on (the <c>version</c> it reports),
    /// without any pre-release suffix, or <see langword="null"/> before the first connect and when the broker is not
    /// RabbitMQ or did not report a version that can be read.
    /// </summary>
    /// <remarks>
    /// RabbitMQ 4 has no classic queue mirroring: there a classic queue lives on one node, and losing that node loses it and
    /// its messages. RabbitHa reads this to warn about classic queues in the topology, to leave out
    /// <c>x-cancel-on-ha-failover</c>, and to declare dead-letter queues as quorum queues; an application declaring its own
    /// queues can read it for the same reason.
    /// </remarks>
    Version? BrokerVersion { get; }

    /// <summary>
    /// Opens the connection, retrying transient failures with exponential backoff until
    /// <see cref="RabbitHaStartupOptions.Timeout"/>. Idempotent: concurrent and later callers share one attempt
    /// and return at once when the connection is already open (or recovering).
    /// </summary>
    /// <param name="cancellationToken">Stops this caller's wait. The shared attempt goes on for other callers until it succeeds, fails, times out or the connection is disposed.</param>
    /// <returns>
    /// A task that completes when the connection has been opened and the configured topology declared; what the broker
    /// refused to declare is reported and declared again in the background (see <see cref="RabbitHaTopologyOptions"/>).
    /// </returns>
    /// <exception cref="RabbitHaConnectionException">The cluster stayed unreachable until the start-up timeout, or the credentials were refused.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The connection has been closed.</exception>
    Task ConnectAsync(CancellationToken cancellationToken = default);

    /// <summary>Waits until the connection is open: connects first if nobody has, and waits through a recovery.</summary>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <returns>A task that completes when <see cref="State"/> is <see cref="RabbitHaConnectionState.Open"/>.</returns>
    /// <exception cref="RabbitHaConnectionException">A connect this call started or joined failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The connection has been closed.</exception>
    Task WaitUntilOpenAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates a channel for one user (a publisher, a consumer). Waits for an open connection first, through a
    /// recovery if one is under way. The channel is the caller's to dispose; RabbitMQ.Client recovers it with
    /// the connection.
    /// </summary>
    /// <param name="options">RabbitMQ.Client's channel options (publisher confirms, dispatch concurrency), or <see langword="null"/> for its defaults.</param>
    /// <param name="cancellationToken">Stops the wait and the creation.</param>
    /// <returns>The new channel.</returns>
    /// <exception cref="RabbitHaConnectionException">The connection could not be opened.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The connection has been closed.</exception>
    Task<IChannel> CreateChannelAsync(CreateChannelOptions? options = null, CancellationToken cancellationToken = default);
}
