namespace RabbitHa.Client;

/// <summary>The names under which RabbitHa reports: meter, instruments, activity source, span events, log category and health check.</summary>
/// <remarks>
/// RabbitHa traces on its own <see cref="System.Diagnostics.ActivitySource"/>, <see cref="ActivitySourceName"/>: one span
/// per publish (from the call to the confirm, re-sends included, its context injected once into the message's headers)
/// and one per delivery processed by a consumer (a child of that context). RabbitMQ.Client 7's own sources
/// (<c>RabbitMQ.Client.Publisher</c>, <c>RabbitMQ.Client.Subscriber</c>) add a span per send and per delivery under them.
/// </remarks>
public static class RabbitHaDiagnostics
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> RabbitHa reports on: <c>"RabbitHa.Client"</c>.</summary>
    public const string MeterName = "RabbitHa.Client";

    /// <summary>
    /// The name of the <see cref="System.Diagnostics.ActivitySource"/> RabbitHa traces on: <c>"RabbitHa.Client"</c>. With
    /// OpenTelemetry: <c>.WithTracing(t =&gt; t.AddSource(RabbitHaDiagnostics.ActivitySourceName))</c>.
    /// </summary>
    /// <remarks>
    /// A publish is a span of kind Producer named <c>publish {destination}</c> (a message that already carries a trace
    /// context, such as a consumer's retry or dead-letter copy, keeps it: the span is then of kind Client and links to it);
    /// a delivery processed by a consumer is a span of kind Consumer named <c>process {destination}</c>, whose parent is the
    /// context the message carries. Names and attributes follow OpenTelemetry's messaging conventions for RabbitMQ.
    /// </remarks>
    public const string ActivitySourceName = "RabbitHa.Client";

    /// <summary>
    /// The event on a publish span for each send after the first (a lost connection or confirm, a confirm timeout, a nack,
    /// a channel another message's refusal closed): <c>"rabbitha.publish.resent"</c>, with the send's number
    /// (<c>rabbitha.publish.attempt</c>), why (<c>rabbitha.publish.resend_reason</c>) and the error (<c>rabbitha.publish.last_error</c>).
    /// </summary>
    public const string PublishResentEvent = "rabbitha.publish.resent";

    /// <summary>
    /// The tag carrying a connection's name (<see cref="RabbitHaOptions.ClientProvidedName"/>, with
    /// <see cref="PublisherConnectionNameSuffix"/> for the publishing connection) on the connection and publisher
    /// instruments: <c>"rabbitha.connection.name"</c>.
    /// </summary>
    public const string ConnectionNameTag = "rabbitha.connection.name";

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

    /// <summary>Counter: messages handed to the publisher. The publisher's instruments are tagged with <see cref="ConnectionNameTag"/>.</summary>
    public const string PublishedInstrument = "rabbitha.publish.published";

    /// <summary>Counter: messages the broker confirmed.</summary>
    public const string ConfirmedInstrument = "rabbitha.publish.confirmed";

    /// <summary>Counter: negative confirms (nacks) received.</summary>
    public const string NackedInstrument = "rabbitha.publish.nacked";

    /// <summary>
    /// Counter: publishes that ended without a confirm, tagged with <c>rabbitha.publish.failure_reason</c>: a
    /// <see cref="RabbitHaPublishFailureReason"/> name, <c>Cancelled</c> (the caller's token) or <c>Disposed</c>.
    /// </summary>
    public const string PublishFailedInstrument = "rabbitha.publish.failed";

    /// <summary>Counter: sends of a message after its first (failover, timeout, nack); each is also a <see cref="PublishResentEvent"/> on the publish's span.</summary>
    public const string PublishRetriedInstrument = "rabbitha.publish.retried";

    /// <summary>Up-down counter: publishes holding a window slot, waiting for their confirm.</summary>
    public const string PublishInFlightInstrument = "rabbitha.publish.in_flight";

    /// <summary>
    /// Histogram, in seconds: from the publish call to the confirm, the wait for a window slot and re-sends included, for
    /// each confirmed publish: <c>"rabbitha.publish.confirm.duration"</c>.
    /// </summary>
    /// <remarks>
    /// It was <c>rabbitha.publish.confirm_latency</c>, in milliseconds. Renamed with the unit, so that a dashboard reading
    /// the old name finds nothing rather than values a thousand times too small.
    /// </remarks>
    public const string ConfirmDurationInstrument = "rabbitha.publish.confirm.duration";
}
