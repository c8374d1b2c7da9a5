namespace RabbitHa.Client;

/// <summary>
/// Options of the automatic recovery of a lost connection. The recovery itself is RabbitMQ.Client's
/// (connection, exchanges, queues and bindings; never consumers, which RabbitHa resubscribes itself).
/// </summary>
public sealed class RabbitHaRecoveryOptions
{
    /// <summary>Gets or sets the pause before each reconnection attempt after the connection was lost.</summary>
    /// <value>The default is 500 milliseconds. Allowed: 1 millisecond to 1 day.</value>
    /// <remarks>
    /// RabbitMQ.Client waits this long before every attempt, without backoff, until one succeeds. Its own
    /// default of 5 seconds would pause publishing for at least that long on every node failover; behind
    /// HAProxy the next attempt usually lands on a live node, so half a second keeps the pause under a
    /// second without hammering the proxy.
    /// </remarks>
    public TimeSpan NetworkRecoveryInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <inheritdoc/>
    public override string ToString() => $"{{ NetworkRecoveryInterval = {NetworkRecoveryInterval} }}";
}
