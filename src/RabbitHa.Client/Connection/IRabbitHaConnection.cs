using RabbitMQ.Client;

namespace RabbitHa.Client;

/// <summary>
/// The application's one long-lived RabbitMQ connection, through HAProxy (falling back to the nodes), with
/// RabbitMQ.Client's automatic connection and topology recovery. Publishers and consumers each take their
/// own channel from it with <see cref="CreateChannelAsync"/>.
/// </summary>
/// <remarks>
/// <para>
/// <b>Where handlers run.</b> The events are plain .NET events, raised on the thread pool, never on RabbitMQ.Client's
/// frame reader or recovery loop: a handler that is slow, or blocks, holds back neither the connection nor its recovery.
/// A connection raises its events one at a time, in the order of the changes they report: a <see cref="ConnectionLost"/>
/// before the <see cref="ConnectionRecovered"/> that ends it, a <see cref="Blocked"/> before its <see cref="Unblocked"/>.
/// So a handler that never returns holds back that connection's later events; start long work elsewhere and return.
/// </para>
/// <para>
/// A handler runs after the change it hears of: <see cref="State"/>, <see cref="IsBlocked"/> and <see cref="CurrentEndpoint"/>
/// already say so when it starts, and may have moved on by then (a short outage may be over). What the event was about is in
/// its arguments. Handlers are those subscribed when the change happened: subscribe first, then read <see cref="State"/>.
/// A handler that throws is logged (event <c>EventHandlerFailed</c>, an error) and stops neither the other handlers nor the
/// later events. The sender is this connection.
/// </para>
/// <para>
/// RabbitHa's <c>AddRabbitHa()</c> makes the connections (the main one, and the publishing one keyed
/// <see cref="RabbitHaServiceKeys.PublisherConnection"/>) as singletons; the container disposes them, which closes them.
/// There is no other public way to make one; the interface is there to be used, and to be faked in tests.
/// </para>
/// </remarks>
public interface IRabbitHaConnection : IAsyncDisposable
{
    /// <summary>
    /// Raised when an open connection is lost, not when the application closes it. By then <see cref="State"/> is
    /// <see cref="RabbitHaConnectionState.Recovering"/> (<see cref="RabbitHaConnectionLostEventArgs.WillRecover"/>), or
    /// <see cref="RabbitHaConnectionState.Disconnected"/> when the broker closed it for good; a block in force ends with it
    /// (<see cref="Unblocked"/>, raised first).
    /// </summary>
    event EventHandler<RabbitHaConnectionLostEventArgs>? ConnectionLost;

    /// <summary>
    /// Raised when automatic recovery has reconnected and re-declared exchanges, queues and bindings, or when a stalled recovery
    /// was given up on and a new connection opened in its place (<see cref="RabbitHaRecoveryOptions.AttemptTimeout"/>). Consumers
    /// must resubscribe; RabbitMQ.Client does not do it for them here (RabbitHa's consumers do it by themselves).
    /// </summary>
    event EventHandler<RabbitHaConnectionRecoveredEventArgs>? ConnectionRecovered;

    /// <summary>
    /// Raised when one recovery attempt failed; the next follows after <see cref="RabbitHaRecoveryFailedEventArgs.NextAttemptIn"/>:
    /// <see cref="RabbitHaRecoveryOptions.RetryDelay"/>, doubling after each further failure up to
    /// <see cref="RabbitHaRecoveryOptions.MaxRetryDelay"/>.
    /// </summary>
    /// <remarks>
    /// Raised too when a recovery is given up on as stalled (no attempt ended within
    /// <see cref="RabbitHaRecoveryOptions.AttemptTimeout"/>; a <see cref="TimeoutException"/>, the next attempt at once), and
    /// for each failed attempt of the connection that replaces it; the <see cref="ConnectionRecovered"/> that ends them is raised as usual.
    /// </remarks>
    event EventHandler<RabbitHaRecoveryFailedEventArgs>? RecoveryFailed;

    /// <summary>Raised when the broker blocks publishing on this connection (memory or disk alarm).</summary>
    event EventHandler<RabbitHaConnectionBlockedEventArgs>? Blocked;

    /// <summary>Raised when the block ends: the broker lifted it, or the blocked connection was lost or closed.</summary>
    event EventHandler<RabbitHaConnectionUnblockedEventArgs>? Unblocked;

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
    /// Opens the connection if nobody has, and completes when it is open. The first connect retries transient failures
    /// with exponential backoff until <see cref="RabbitHaStartupOptions.Timeout"/>; concurrent callers share it. A connection
    /// already <see cref="RabbitHaConnectionState.Open"/> returns at once; one <see cref="RabbitHaConnectionState.Recovering"/> is
    /// waited for until its recovery succeeds, however long that takes (automatic recovery retries for as long as the cluster is
    /// away, with no limit of its own): that wait is bounded only by <paramref name="cancellationToken"/>. One the broker
    /// closed for good (<see cref="RabbitHaConnectionState.Disconnected"/>) is connected again, as the first time.
    /// </summary>
    /// <param name="cancellationToken">
    /// Stops this caller's wait, for the first connect or for a recovery. A first connect goes on for other callers until it
    /// succeeds, fails, times out or the connection is disposed.
    /// </param>
    /// <returns>
    /// A task that completes when <see cref="State"/> is <see cref="RabbitHaConnectionState.Open"/>: the configured topology
    /// is declared by then; what the broker refused to declare is reported and declared again in the background
    /// (see <see cref="RabbitHaTopologyOptions"/>). The connection may be lost again at any time after.
    /// </returns>
    /// <exception cref="RabbitHaConnectionException">
    /// A connect this call started or joined failed: the cluster stayed unreachable until the start-up timeout, or the broker
    /// refused the connection (the credentials, the virtual host). A later call tries again.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The connection has been closed, before or during the wait.</exception>
    Task ConnectAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates a channel for one user (a publisher, a consumer). Waits for an open connection first, as
    /// <see cref="ConnectAsync"/> does: it connects if nobody has, and waits through a recovery under way. The channel is
    /// the caller's to dispose. RabbitMQ.Client recovers it with the connection, except after a recovery given up on as
    /// stalled (<see cref="RabbitHaRecoveryOptions.AttemptTimeout"/>): then the connection is a new one and the channel stays
    /// closed, so a long-lived user watches <see cref="IChannel.IsOpen"/> and <see cref="ConnectionRecovered"/> and creates
    /// another (RabbitHa's publisher and consumers do).
    /// </summary>
    /// <param name="options">RabbitMQ.Client's channel options (publisher confirms, dispatch concurrency), or <see langword="null"/> for its defaults.</param>
    /// <param name="cancellationToken">Stops the wait and the creation.</param>
    /// <returns>The new channel.</returns>
    /// <exception cref="RabbitHaConnectionException">The connection could not be opened.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The connection has been closed.</exception>
    Task<IChannel> CreateChannelAsync(CreateChannelOptions? options = null, CancellationToken cancellationToken = default);
}
