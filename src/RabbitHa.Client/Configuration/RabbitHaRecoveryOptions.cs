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
    /// <value>The default is 500 milliseconds. Allowed: zero (at once) to 1 day.</value>
    /// <remarks>
    /// <para>
    /// RabbitMQ.Client's own default waits 5 seconds. This pause is most of a failover's: with zero, the producer's node
    /// killed, the longest pause between two confirms was 56 ms (median of 10 rounds) instead of ~550 ms. The default stays
    /// at 500 ms because an application that came back within milliseconds of its node's death, when that node led a
    /// quorum queue of RabbitMQ 3.10, once had its publishes to that queue nacked for a minute (the other rows of the chaos
    /// suite passed); until that is understood, zero is for those who measure it on their own cluster.
    /// </para>
    /// <para>RabbitMQ.Client also waits this long before each later attempt, on top of <see cref="RetryDelay"/>.</para>
    /// </remarks>
    public TimeSpan FirstAttemptDelay { get; set; } = TimeSpan.FromMilliseconds(500);

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
