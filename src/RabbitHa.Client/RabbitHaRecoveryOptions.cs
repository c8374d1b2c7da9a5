namespace RabbitHa.Client;

/// <summary>
/// Options of the automatic recovery of a lost connection. The recovery itself is RabbitMQ.Client's
/// (connection, exchanges, queues and bindings; never consumers, which RabbitHa resubscribes itself); RabbitHa paces
/// its attempts: the first at once, the later ones backed off with jitter.
/// </summary>
/// <remarks>
/// Behind HAProxy the first attempt usually lands on a live node: HAProxy sends a connection to a node it cannot reach to
/// another one (<c>option redispatch</c>). Later attempts mean the cluster, or the way to it, is down: backing off keeps
/// thousands of clients from hammering the proxy while it is, and jitter keeps them from coming back in lockstep.
/// </remarks>
public sealed class RabbitHaRecoveryOptions
{
    /// <summary>Gets or sets the pause before the first reconnection attempt after the connection was lost.</summary>
    /// <value>The default is zero: at once. Allowed: zero to 1 day.</value>
    /// <remarks>
    /// RabbitMQ.Client's own default waits 5 seconds, and RabbitHa waited 500 milliseconds up to version 0.1: most of a
    /// failover's pause. RabbitMQ.Client also waits this long before each later attempt, on top of <see cref="RetryDelay"/>.
    /// </remarks>
    public TimeSpan FirstAttemptDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Gets or sets the pause after the first failed reconnection attempt; it doubles after each further failure.</summary>
    /// <value>The default is 250 milliseconds. Allowed: 1 millisecond to 1 day.</value>
    /// <remarks>Each pause varies by ±20 % at random, within <see cref="RetryDelay"/> and <see cref="MaxRetryDelay"/>.</remarks>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Gets or sets the longest pause between two failed reconnection attempts.</summary>
    /// <value>The default is 5 seconds. Allowed: <see cref="RetryDelay"/> to 1 day.</value>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <inheritdoc/>
    public override string ToString() => $"{{ FirstAttemptDelay = {FirstAttemptDelay}, RetryDelay = {RetryDelay}, MaxRetryDelay = {MaxRetryDelay} }}";
}
