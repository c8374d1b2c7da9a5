namespace RabbitHa.Client;

/// <summary>
/// Options of the automatic recovery of a lost connection. The recovery itself is RabbitMQ.Client's
/// (connection, exchanges, queues and bindings; never consumers, which RabbitHa resubscribes itself); RabbitHa paces
/// its attempts: the first after <see cref="FirstAttemptDelay"/>, the later ones backed off with jitter.
/// </summary>
/// <remarks>
/// Behind HAProxy the first attempt usually lands on a live node: HAProxy sends a connection to a node it cannot reach to
/// another one (<c>option redispatch</c>). Later attempts mean the cluster, or the way to it, is down: backing off keeps
/// thousands of clients from hammering the proxy while it is, and jitter keeps them from coming back in lockstep.
/// </remarks>
public sealed class RabbitHaRecoveryOptions
{
    /// <summary>Gets or sets the pause before the first reconnection attempt after the connection was lost.</summary>
    /// <value>The default is zero (at once). Allowed: zero to 1 day.</value>
    /// <remarks>
    /// <para>
    /// RabbitMQ.Client's own default waits 5 seconds, and this pause is most of a failover's: behind HAProxy the first
    /// attempt lands on a live node (HAProxy redispatches a connect it cannot complete), so waiting only stops publishes
    /// and consumers for longer. Set a pause where a lost connection should not be retried at once, e.g. a single broker
    /// with no proxy in front, where the first attempt can only fail.
    /// </para>
    /// <para>
    /// A connection back within milliseconds of a node's death may open its channels before a quorum queue that node led
    /// has its new leader; on RabbitMQ 3.10 such a channel was seen nacked until the node came back. The publisher replaces
    /// a channel nacked three times in a row, and a new channel asks for the current leader.
    /// </para>
    /// <para>RabbitMQ.Client also waits this long before each later attempt, on top of <see cref="RetryDelay"/>.</para>
    /// </remarks>
    public TimeSpan FirstAttemptDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Gets or sets the pause after the first failed reconnection attempt; it doubles after each further failure.</summary>
    /// <value>The default is 250 milliseconds. Allowed: 1 millisecond to 1 day.</value>
    /// <remarks>Each pause varies by ±20 % at random, within <see cref="RetryDelay"/> and <see cref="MaxRetryDelay"/>.</remarks>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Gets or sets the longest pause between two failed reconnection attempts.</summary>
    /// <value>The default is 5 seconds. Allowed: <see cref="RetryDelay"/> to 1 day.</value>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets how long a recovery may go on with no attempt ending, neither failed nor succeeded, before RabbitHa
    /// gives up on it: the stalled connection is aborted and a new one opened in its place, attempt after attempt (each
    /// limited to this too, with <see cref="RetryDelay"/>'s backoff between them), until one opens or the application stops.
    /// </summary>
    /// <value>The default is 20 seconds. Allowed: 1 second to 1 day.</value>
    /// <remarks>
    /// <para>
    /// RabbitMQ.Client 7.2's recovery waits for the broker's first handshake frame with no time limit: a reconnection that
    /// went through HAProxy the moment a node was killed was seen waiting for minutes (RabbitMQ 4.0, two of three rows of
    /// the node-kill chaos suite in one run), its publishes and consumers stopped with it and no error reported. An attempt
    /// normally ends within <see cref="RabbitHaOptions.ConnectionTimeout"/> plus <see cref="RabbitHaOptions.HandshakeTimeout"/>
    /// (20 seconds by default), or when RabbitMQ.Client reports it failed.
    /// </para>
    /// <para>
    /// The new connection declares the configured topology, as at start; what the application declared itself on its own
    /// channels is not declared again (RabbitMQ.Client's record of it stays with the stalled connection). Consumers
    /// resubscribe and the publisher opens new channels, as after any recovery.
    /// </para>
    /// </remarks>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <inheritdoc/>
    public override string ToString() => $"{{ FirstAttemptDelay = {FirstAttemptDelay}, RetryDelay = {RetryDelay}, MaxRetryDelay = {MaxRetryDelay}, AttemptTimeout = {AttemptTimeout} }}";
}
