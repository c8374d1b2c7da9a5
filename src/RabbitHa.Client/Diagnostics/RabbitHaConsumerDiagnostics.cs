namespace RabbitHa.Client;

/// <summary>
/// The names of the consumers' instruments and tags, on the <see cref="RabbitHaDiagnostics.MeterName"/> meter.
/// Every measurement carries the tag <see cref="ConsumerNameTag"/>.
/// </summary>
public static class RabbitHaConsumerDiagnostics
{
    /// <summary>The tag carrying the consumer's name: <c>"rabbitha.consumer.name"</c>.</summary>
    public const string ConsumerNameTag = "rabbitha.consumer.name";

    /// <summary>
    /// The tag carrying why a subscription ended, on <see cref="ResubscriptionsInstrument"/>:
    /// <c>"rabbitha.consumer.resubscribe.reason"</c>, one of <c>connection_lost</c>, <c>channel_closed</c>,
    /// <c>cancelled_by_broker</c>, <c>subscribe_failed</c>.
    /// </summary>
    public const string ResubscribeReasonTag = "rabbitha.consumer.resubscribe.reason";

    /// <summary>Counter of messages delivered to consumers: <c>"rabbitha.consumer.deliveries"</c>.</summary>
    public const string DeliveriesInstrument = "rabbitha.consumer.deliveries";

    /// <summary>Counter of messages handled successfully and acknowledged: <c>"rabbitha.consumer.handled"</c>.</summary>
    public const string HandledInstrument = "rabbitha.consumer.handled";

    /// <summary>Counter of handler failures (each failed attempt): <c>"rabbitha.consumer.failures"</c>.</summary>
    public const string FailuresInstrument = "rabbitha.consumer.failures";

    /// <summary>Counter of messages dead-lettered (rejected without requeue): <c>"rabbitha.consumer.dead_lettered"</c>.</summary>
    public const string DeadLetteredInstrument = "rabbitha.consumer.dead_lettered";

    /// <summary>Counter of messages dropped because their id was already handled: <c>"rabbitha.consumer.duplicates_dropped"</c>.</summary>
    public const string DuplicatesDroppedInstrument = "rabbitha.consumer.duplicates_dropped";

    /// <summary>Counter of subscriptions lost and restored, tagged with <see cref="ResubscribeReasonTag"/>: <c>"rabbitha.consumer.resubscriptions"</c>.</summary>
    public const string ResubscriptionsInstrument = "rabbitha.consumer.resubscriptions";

    /// <summary>Histogram of how long handlers ran, in seconds, successful or not: <c>"rabbitha.consumer.handler.duration"</c>.</summary>
    public const string HandlerDurationInstrument = "rabbitha.consumer.handler.duration";
}
