namespace RabbitHa.Client;

/// <summary>
/// The names of the consumers' instruments and tags, on the <see cref="RabbitHaDiagnostics.MeterName"/> meter, and of the
/// events on a delivery's span (<c>process {destination}</c>, on <see cref="RabbitHaDiagnostics.ActivitySourceName"/>).
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

    /// <summary>
    /// Counter of messages dead-lettered: copied, confirmed, to the dead-letter queue (<see cref="RabbitHaDeadLetterStrategy.Queue"/>),
    /// or rejected without requeue (<see cref="RabbitHaDeadLetterStrategy.Broker"/>): <c>"rabbitha.consumer.dead_lettered"</c>.
    /// </summary>
    public const string DeadLetteredInstrument = "rabbitha.consumer.dead_lettered";

    /// <summary>Counter of messages acknowledged and dropped instead of dead-lettered (<see cref="RabbitHaDeadLetterStrategy.Discard"/>): <c>"rabbitha.consumer.discarded"</c>.</summary>
    public const string DiscardedInstrument = "rabbitha.consumer.discarded";

    /// <summary>
    /// Counter of dead-letter copies that could not be published or confirmed; each time, the original went back to its
    /// queue to be dead-lettered again: <c>"rabbitha.consumer.dead_letter.publish_failures"</c>.
    /// </summary>
    public const string DeadLetterPublishFailuresInstrument = "rabbitha.consumer.dead_letter.publish_failures";

    /// <summary>Counter of messages dropped because their id was already handled: <c>"rabbitha.consumer.duplicates_dropped"</c>.</summary>
    public const string DuplicatesDroppedInstrument = "rabbitha.consumer.duplicates_dropped";

    /// <summary>Counter of subscriptions lost and restored, tagged with <see cref="ResubscribeReasonTag"/>: <c>"rabbitha.consumer.resubscriptions"</c>.</summary>
    public const string ResubscriptionsInstrument = "rabbitha.consumer.resubscriptions";

    /// <summary>Histogram of how long handlers ran, in seconds, successful or not: <c>"rabbitha.consumer.handler.duration"</c>.</summary>
    public const string HandlerDurationInstrument = "rabbitha.consumer.handler.duration";

    /// <summary>
    /// Counter of handler attempts that ran longer than <see cref="RabbitHaConsumerOptions.HandlerTimeout"/> and were
    /// cancelled: <c>"rabbitha.consumer.handler.timeouts"</c>. Each is also counted in <see cref="FailuresInstrument"/>.
    /// </summary>
    public const string HandlerTimeoutsInstrument = "rabbitha.consumer.handler.timeouts";

    /// <summary>
    /// Up-down counter of handlers that ignored their cancellation, were abandoned, and still run, each holding one of its
    /// consumer's <see cref="RabbitHaConsumerOptions.Concurrency"/> slots: <c>"rabbitha.consumer.handlers.hung"</c>.
    /// </summary>
    public const string HungHandlersInstrument = "rabbitha.consumer.handlers.hung";

    /// <summary>The event on a delivery's span when its message id was handled already and it is dropped: <c>"rabbitha.deduplication.dropped"</c>.</summary>
    public const string DuplicateDroppedEvent = "rabbitha.deduplication.dropped";

    /// <summary>
    /// The event on a delivery's span when the message goes back to its queue for another attempt: <c>"rabbitha.delivery.requeued"</c>,
    /// with the attempt (<c>rabbitha.delivery.attempt</c>), why (<c>rabbitha.delivery.requeue.reason</c>: a handler failure as in
    /// <see cref="RabbitHaHeaders.DeadLetterReason"/>, or <c>deduplication-in-progress</c>, <c>deduplication-store-failed</c>,
    /// <c>cancelled</c>, <c>dead-letter-publish-failed</c>) and how (<c>rabbitha.delivery.requeue.method</c>: <c>copy</c>, a copy
    /// carrying the attempt count published to the back of the queue; <c>requeue</c>, returned by the broker).
    /// </summary>
    public const string DeliveryRequeuedEvent = "rabbitha.delivery.requeued";

    /// <summary>
    /// The event on a delivery's span when the message is given up on: <c>"rabbitha.delivery.dead_lettered"</c>, with the reason
    /// (<c>rabbitha.dead_letter.reason</c>, as in <see cref="RabbitHaHeaders.DeadLetterReason"/>) and where it went
    /// (<c>rabbitha.dead_letter.queue</c>: the dead-letter queue, or <c>broker</c> for <see cref="RabbitHaDeadLetterStrategy.Broker"/>).
    /// </summary>
    public const string DeadLetteredEvent = "rabbitha.delivery.dead_lettered";

    /// <summary>The event on a delivery's span when the message is dropped instead (<see cref="RabbitHaDeadLetterStrategy.Discard"/>): <c>"rabbitha.delivery.discarded"</c>.</summary>
    public const string DiscardedEvent = "rabbitha.delivery.discarded";

    /// <summary>
    /// The event on a delivery's span when its handler ran longer than <see cref="RabbitHaConsumerOptions.HandlerTimeout"/> and
    /// was cancelled: <c>"rabbitha.handler.timed_out"</c>, with <c>rabbitha.handler.abandoned</c> (it ignored the cancellation).
    /// </summary>
    public const string HandlerTimedOutEvent = "rabbitha.handler.timed_out";
}
