namespace RabbitHa.Client;

/// <summary>
/// Options of one RabbitHa consumer: the queue, how many messages it takes at once, what happens to a message
/// whose handler fails, and how it comes back after its subscription is lost.
/// </summary>
/// <remarks>
/// With <c>AddConsumer</c> these are named options, named after the queue: configure them further with
/// <c>services.Configure&lt;RabbitHaConsumerOptions&gt;("queue", ...)</c> or bind them from configuration the
/// same way. They are validated when the host starts.
/// </remarks>
public sealed class RabbitHaConsumerOptions
{
    /// <summary>Gets or sets the queue to consume from. Required; <c>AddConsumer</c> sets it.</summary>
    /// <value>The default is an empty string, which fails validation.</value>
    public string Queue { get; set; } = string.Empty;

    /// <summary>Gets or sets the consumer's name in logs, metrics and <see cref="RabbitHaMessageContext.ConsumerName"/>.</summary>
    /// <value>The default is <see langword="null"/>: the queue name.</value>
    public string? Name { get; set; }

    /// <summary>Gets or sets how many unacknowledged messages the broker sends the consumer at most (<c>basic.qos</c> prefetch count).</summary>
    /// <value>The default is 32. Must be between 1 and 65535, and at least <see cref="Concurrency"/>.</value>
    public int PrefetchCount { get; set; } = 32;

    /// <summary>Gets or sets how many messages are handled at the same time.</summary>
    /// <value>The default is 1: one at a time, in the order the broker delivers them. Must be between 1 and <see cref="PrefetchCount"/>.</value>
    public int Concurrency { get; set; } = 1;

    /// <summary>Gets or sets what happens to a message whose handler throws.</summary>
    /// <value>The default is <see cref="RabbitHaFailureAction.Requeue"/>: retried until <see cref="MaxDeliveryAttempts"/>, then dead-lettered.</value>
    /// <remarks>
    /// A message that cannot be deserialized into the handler's message type is dead-lettered at once: trying
    /// again would fail the same way. Dead-lettering is a negative acknowledgement without requeue: the broker
    /// moves the message to the queue's dead-letter exchange (<c>x-dead-letter-exchange</c>), or drops it if
    /// the queue has none.
    /// </remarks>
    public RabbitHaFailureAction FailureAction { get; set; } = RabbitHaFailureAction.Requeue;

    /// <summary>Gets or sets how many times a message is handled, counting the first, before a failure dead-letters it.</summary>
    /// <value>The default is 5. Must be at least 1.</value>
    /// <remarks>
    /// Quorum queues count deliveries themselves (the <c>x-delivery-count</c> header), across consumers and
    /// processes. On classic queues the consumer counts failures in memory by message id (by body when there
    /// is none), so each process counts its own attempts, and a redelivered message counts as at least its
    /// second attempt.
    /// </remarks>
    public int MaxDeliveryAttempts { get; set; } = 5;

    /// <summary>Gets or sets how long a message whose handler threw waits before it goes back to the queue.</summary>
    /// <value>The default is 1 second. Zero requeues at once. Must be between zero and one minute.</value>
    /// <remarks>
    /// A requeued message comes straight back: without a pause, a failure that lasts a moment (a database
    /// restarting) would use up <see cref="MaxDeliveryAttempts"/> within milliseconds and dead-letter the message.
    /// The message keeps its place in the prefetch window and one of the <see cref="Concurrency"/> handlers while it
    /// waits; a stop or a lost channel ends the wait and the message goes back at once.
    /// </remarks>
    public TimeSpan RequeueDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets a value indicating whether a message whose id has already been handled is dropped (acknowledged without calling the handler).</summary>
    /// <value>The default is <see langword="false"/>: every delivery reaches the handler.</value>
    /// <remarks>
    /// Uses the registered <see cref="IRabbitHaDeduplicationStore"/> (by default a bounded in-memory window,
    /// per process). Messages without a message id are always handled.
    /// </remarks>
    public bool DeduplicateByMessageId { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether to consume with <c>x-cancel-on-ha-failover</c>, so that the broker
    /// cancels the subscription when the master of a mirrored classic queue moves, and the consumer resubscribes.
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    /// <remarks>
    /// Quorum and stream queues refuse the argument (PRECONDITION_FAILED); the consumer then subscribes again
    /// at once without it, and logs that it did.
    /// </remarks>
    public bool CancelOnHaFailover { get; set; } = true;

    /// <summary>Gets or sets the first delay before resubscribing after a subscription is lost.</summary>
    /// <value>The default is 100 milliseconds. Must be positive.</value>
    /// <remarks>
    /// Each failed attempt in a row doubles the delay, with jitter, up to <see cref="ResubscribeMaxDelay"/>;
    /// a subscription that lasted at least <see cref="ResubscribeMaxDelay"/> starts again from this value.
    /// While the connection itself is recovering, resubscribing waits for it.
    /// </remarks>
    public TimeSpan ResubscribeMinDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Gets or sets the longest delay between attempts to resubscribe.</summary>
    /// <value>The default is 5 seconds. Must be at least <see cref="ResubscribeMinDelay"/> and at most one hour.</value>
    public TimeSpan ResubscribeMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets how long stopping waits for the handlers that are running to finish. Then their
    /// cancellation tokens are cancelled and the channel is closed: the broker requeues what was not acknowledged.
    /// </summary>
    /// <value>The default is 20 seconds, within the generic host's default shutdown timeout of 30 seconds. Must not be negative.</value>
    /// <remarks>The host's own shutdown timeout cuts it short.</remarks>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Gets the consumer name: <see cref="Name"/>, or the queue when it is not set.</summary>
    internal string EffectiveName => string.IsNullOrWhiteSpace(Name) ? Queue : Name;

    /// <summary>Copies the options, so that a running consumer is not changed by later edits.</summary>
    internal RabbitHaConsumerOptions Clone() => (RabbitHaConsumerOptions)MemberwiseClone();
}
