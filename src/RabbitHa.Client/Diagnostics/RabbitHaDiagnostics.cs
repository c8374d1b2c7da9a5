namespace RabbitHa.Client;

/// <summary>The names under which RabbitHa reports: meter, instruments, log category and health check.</summary>
/// <remarks>
/// Tracing is RabbitMQ.Client 7's own: subscribe to its <c>ActivitySource</c>s (<c>RabbitMQ.Client.Publisher</c>,
/// <c>RabbitMQ.Client.Subscriber</c>) to trace publishes and deliveries.
/// </remarks>
public static class RabbitHaDiagnostics
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> RabbitHa reports on: <c>"RabbitHa.Client"</c>.</summary>
    public const string MeterName = "RabbitHa.Client";

    /// <summary>
    /// Appended to <see cref="RabbitHaOptions.ClientProvidedName"/> to name the publishing connection in the management
    /// UI, logs and metrics: <c>".publisher"</c>.
    /// </summary>
    /// <remarks>
    /// <c>AddRabbitHa()</c> opens two connections through the same endpoints: the main one, named
    /// <see cref="RabbitHaOptions.ClientProvidedName"/>, for the topology and the consumers, and this one for publishes.
    /// RabbitMQ blocks a connection that publishes during a resource alarm, and a blocked connection's consumers can no
    /// longer acknowledge; apart, the consumers keep draining the queues that may be causing the alarm.
    /// </remarks>
    public const string PublisherConnectionNameSuffix = ".publisher";

    /// <summary>The name of the health check <c>AddRabbitHa()</c> registers: <c>"rabbitha"</c>.</summary>
    public const string HealthCheckName = "rabbitha";

    /// <summary>Counter of connections lost (not closed by the application): <c>"rabbitha.connection.losses"</c>.</summary>
    public const string ConnectionLossesInstrument = "rabbitha.connection.losses";

    /// <summary>Counter of successful automatic recoveries: <c>"rabbitha.connection.recoveries"</c>.</summary>
    public const string ConnectionRecoveriesInstrument = "rabbitha.connection.recoveries";

    /// <summary>Counter of failed recovery attempts (each is retried): <c>"rabbitha.connection.recovery_failures"</c>.</summary>
    public const string ConnectionRecoveryFailuresInstrument = "rabbitha.connection.recovery_failures";

    /// <summary>Up-down counter of open connections: <c>"rabbitha.connection.open"</c>.</summary>
    public const string OpenConnectionsInstrument = "rabbitha.connection.open";

    /// <summary>Histogram of how long the broker blocked the connection, in seconds: <c>"rabbitha.connection.blocked.duration"</c>.</summary>
    public const string BlockedDurationInstrument = "rabbitha.connection.blocked.duration";

    /// <summary>
    /// Counter of exchange, queue and binding declarations the broker refused (access-refused, not-found,
    /// precondition-failed), at connect, during recovery and at each background retry: <c>"rabbitha.topology.refusals"</c>.
    /// Tagged with the connection name, the entity (such as <c>queue 'orders'</c>) and the reply code.
    /// </summary>
    public const string TopologyRefusalsInstrument = "rabbitha.topology.refusals";

    /// <summary>Counter: messages handed to the publisher.</summary>
    public const string PublishedInstrument = "rabbitha.publish.published";

    /// <summary>Counter: messages the broker confirmed.</summary>
    public const string ConfirmedInstrument = "rabbitha.publish.confirmed";

    /// <summary>Counter: negative confirms (nacks) received.</summary>
    public const string NackedInstrument = "rabbitha.publish.nacked";

    /// <summary>
    /// Counter: publishes that ended without a confirm, tagged with <c>rabbitha.publish.failure_reason</c>: a
    /// <see cref="PublishFailureReason"/> name, <c>Cancelled</c> (the caller's token) or <c>Disposed</c>.
    /// </summary>
    public const string PublishFailedInstrument = "rabbitha.publish.failed";

    /// <summary>Counter: sends of a message that was not confirmed the first time (failover, timeout, nack).</summary>
    public const string PublishRetriedInstrument = "rabbitha.publish.retried";

    /// <summary>Up-down counter: publishes holding a window slot, waiting for their confirm.</summary>
    public const string PublishInFlightInstrument = "rabbitha.publish.in_flight";

    /// <summary>Histogram, in milliseconds: from the publish call to the confirm, the wait for a window slot and retries included.</summary>
    public const string ConfirmLatencyInstrument = "rabbitha.publish.confirm_latency";
}
