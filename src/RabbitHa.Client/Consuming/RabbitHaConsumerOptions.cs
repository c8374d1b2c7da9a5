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
    /// <summary>What the default dead-letter queue's name adds to the queue's.</summary>
    internal const string DefaultDeadLetterQueueSuffix = ".dead-letter";

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
    /// <remarks>
    /// A bound for the consumer in this process, across its subscriptions: a handler abandoned because it ignored its
    /// cancellation (see <see cref="HandlerTimeout"/>) counts until it returns, and a new subscription after a failover
    /// runs with the slots that are left.
    /// </remarks>
    public int Concurrency { get; set; } = 1;

    /// <summary>Gets or sets what happens to a message whose handler throws.</summary>
    /// <value>The default is <see cref="RabbitHaFailureAction.Requeue"/>: retried until <see cref="MaxDeliveryAttempts"/>, then dead-lettered.</value>
    /// <remarks>
    /// Dead-lettering follows <see cref="DeadLetterStrategy"/>: by default a confirmed copy goes to
    /// <see cref="DeadLetterQueue"/> before the original is acknowledged, so no message is dropped unless
    /// <see cref="RabbitHaDeadLetterStrategy.Discard"/> says so. A message that cannot be deserialized into the
    /// handler's message type is dead-lettered at once: trying again would fail the same way. A handler that
    /// cannot be created from dependency injection counts as a failed attempt.
    /// </remarks>
    public RabbitHaFailureAction FailureAction { get; set; } = RabbitHaFailureAction.Requeue;

    /// <summary>Gets or sets how many times a message is handled, counting the first, before a failure dead-letters it.</summary>
    /// <value>The default is 5. Must be at least 1.</value>
    /// <remarks>
    /// <para>
    /// Quorum queues count deliveries themselves (the <see cref="RabbitHaHeaders.DeliveryCount"/> header): a failed
    /// message is returned to the queue (negative acknowledgement with requeue).
    /// </para>
    /// <para>
    /// Classic queues do not count, so the count travels with the message: a failed message is published again,
    /// confirmed, to the consumer's queue with the header <see cref="RabbitHaHeaders.ConsumerDeliveryCount"/>, and
    /// only then is the delivery acknowledged. Every consumer process of the queue sees the same count, however
    /// many messages fail. The copy goes to the back of the queue, so a retried message is delivered after the
    /// ones that were waiting behind it. It keeps the body and every property but <c>user_id</c> (which the broker
    /// checks against the publishing connection's user), and <see cref="RabbitHaMessageContext.Exchange"/> and
    /// <see cref="RabbitHaMessageContext.RoutingKey"/> still report where it was first published. If the copy cannot
    /// be published, the message is returned to the queue instead (its redelivered flag then makes it at least the
    /// second attempt); if the copy is confirmed but the acknowledgement is lost with the connection, the message is
    /// delivered twice.
    /// </para>
    /// </remarks>
    public int MaxDeliveryAttempts { get; set; } = 5;

    /// <summary>Gets or sets how long a message whose handler threw waits before it goes back to the queue.</summary>
    /// <value>The default is 1 second. Zero requeues at once. Must be between zero and one minute.</value>
    /// <remarks>
    /// A requeued message comes straight back: without a pause, a failure that lasts a moment (a database
    /// restarting) would use up <see cref="MaxDeliveryAttempts"/> within milliseconds and dead-letter the message.
    /// The message keeps its place in the prefetch window and one of the <see cref="Concurrency"/> handlers while it
    /// waits; a stop or a lost channel ends the wait and the message goes back at once. On a classic queue the
    /// message then goes to the back of the queue (see <see cref="MaxDeliveryAttempts"/>). A message whose
    /// dead-letter copy could not be published waits this long too before it goes back.
    /// </remarks>
    public TimeSpan RequeueDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets where a message the consumer gives up on goes.</summary>
    /// <value>
    /// The default is <see cref="RabbitHaDeadLetterStrategy.Queue"/>: a confirmed copy to <see cref="DeadLetterQueue"/>,
    /// then the original is acknowledged.
    /// </value>
    public RabbitHaDeadLetterStrategy DeadLetterStrategy { get; set; } = RabbitHaDeadLetterStrategy.Queue;

    /// <summary>Gets or sets the queue dead-lettered messages are copied to, with <see cref="RabbitHaDeadLetterStrategy.Queue"/>.</summary>
    /// <value>
    /// The default is <see langword="null"/>: <see cref="Queue"/> followed by <c>.dead-letter</c>. When set, it must not be
    /// empty, must differ from <see cref="Queue"/>, must not start with <c>amq.</c> and is at most 255 bytes of UTF-8.
    /// </value>
    /// <remarks>
    /// The consumer declares it before it first subscribes, on its own connection (declaring is not publishing,
    /// so a resource alarm does not stop it): a queue that exists is used as it is; otherwise it is declared
    /// durable, of the type <see cref="Queue"/> is declared with in <see cref="RabbitHaOptions.Topology"/>; when the topology
    /// does not declare it, as a quorum queue on RabbitMQ 4 (where a classic queue lives on one node only) and without
    /// <c>x-queue-type</c> on RabbitMQ 3. Declare it yourself beforehand to give it other arguments. If it cannot be
    /// declared, the error is logged and consuming goes on; messages to dead-letter then stay in <see cref="Queue"/>
    /// and the declaration is tried again.
    /// </remarks>
    public string? DeadLetterQueue { get; set; }

    /// <summary>Gets or sets a value indicating whether a message whose id has already been handled is dropped (acknowledged without calling the handler).</summary>
    /// <value>The default is <see langword="false"/>: every delivery reaches the handler.</value>
    /// <remarks>
    /// Uses the registered <see cref="IRabbitHaDeduplicationStore"/> (by default a bounded in-memory window,
    /// per process). Messages without a message id are always handled. A store that fails, or takes longer than
    /// <see cref="DeduplicationStoreTimeout"/>, never loses a message: a claim that fails returns the message to its queue,
    /// a record that fails only risks a duplicate later (see <see cref="IRabbitHaDeduplicationStore"/>). Independently of
    /// this option, two copies of one message id are never handled at the same time by one consumer in one process.
    /// </remarks>
    public bool DeduplicateByMessageId { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether to consume with <c>x-cancel-on-ha-failover</c>, so that the broker
    /// cancels the subscription when the master of a mirrored classic queue moves, and the consumer resubscribes.
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    /// <remarks>
    /// Quorum and stream queues refuse the argument (PRECONDITION_FAILED); the consumer then subscribes again
    /// at once without it, and logs that it did. On RabbitMQ 4, which has no mirrored queues, it is never sent.
    /// </remarks>
    public bool CancelOnHaFailover { get; set; } = true;

    /// <summary>Gets or sets the first delay before resubscribing after a subscription is lost.</summary>
    /// <value>The default is 100 milliseconds. Must be positive.</value>
    /// <remarks>
    /// Each failed attempt in a row doubles the delay up to <see cref="MaxResubscribeDelay"/>, each one varied by ±20 % at
    /// random within the two (RabbitHa's one backoff, as for recovery, the first connect and re-sends);
    /// a subscription that lasted at least <see cref="MaxResubscribeDelay"/> starts again from this value.
    /// While the connection itself is recovering, resubscribing waits for it.
    /// </remarks>
    public TimeSpan ResubscribeDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Gets or sets the longest delay between attempts to resubscribe.</summary>
    /// <value>The default is 5 seconds. Must be at least <see cref="ResubscribeDelay"/> and at most one hour.</value>
    public TimeSpan MaxResubscribeDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets how long stopping waits for the handlers that are running to finish. Then their
    /// cancellation tokens are cancelled and the channel is closed: the broker requeues what was not acknowledged.
    /// </summary>
    /// <value>The default is 20 seconds, within the generic host's default shutdown timeout of 30 seconds. Must not be negative.</value>
    /// <remarks>
    /// The host's own shutdown timeout cuts it short. A handler that ignores its cancellation is given a moment more, then
    /// left running (and logged): stopping does not wait for it. After a subscription ends by itself (a broker cancel), its
    /// handlers get this long too on the still open channel, while the new subscription already takes messages.
    /// </remarks>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Gets or sets how long a handler may run on one message. Then its cancellation token is cancelled and the attempt
    /// counts as failed: the message is tried again or dead-lettered like one whose handler threw, with the reason
    /// <c>handler-timed-out</c>.
    /// </summary>
    /// <value>
    /// The default is 5 minutes. <see cref="Timeout.InfiniteTimeSpan"/> turns it off. Otherwise it must be positive and at
    /// most one day.
    /// </value>
    /// <remarks>
    /// <para>
    /// Why 5 minutes: far longer than a message handler normally runs, and well within the broker's
    /// <c>consumer_timeout</c> (30 minutes by default), after which the broker itself closes the channel of a delivery
    /// that was never acknowledged, taking every other message in flight on it back too, and the consumer resubscribes.
    /// With this timeout the consumer decides first, and only for the one message. Raise it (or turn it off) for
    /// handlers that legitimately run for long; keep it below the broker's <c>consumer_timeout</c>.
    /// </para>
    /// <para>
    /// A handler that honours its token stops, and its message takes the failure path. A handler that ignores it is
    /// given a moment more, then abandoned: its message takes the failure path all the same, a warning names the message
    /// and how long the handler has run (again each time that doubles), and the handler keeps its place among the
    /// <see cref="Concurrency"/> handlers until it returns. The bound holds: a consumer never runs more than
    /// <see cref="Concurrency"/> handlers at once, abandoned ones included; the others run with the slots left, and the
    /// health check reports the consumer Degraded (Unhealthy once every slot is held by a hung handler, as only a restart
    /// frees it). Whatever an abandoned handler does later is not acknowledged: its message was settled already. Another
    /// copy of the same message (same message id) delivered meanwhile is not handled next to it: it waits, without
    /// a slot, for up to 5 seconds, then goes back to the queue.
    /// </para>
    /// </remarks>
    public TimeSpan HandlerTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Gets or sets how long the consumer may go without a subscription before the <c>"rabbitha"</c> health check reports
    /// it Unhealthy, naming it and its last error (for example <c>404 NOT_FOUND - no queue 'orders'</c>).
    /// </summary>
    /// <value>
    /// The default is 30 seconds. <see cref="Timeout.InfiniteTimeSpan"/> leaves the consumer out of the health check.
    /// Otherwise it must be positive and at most one day.
    /// </value>
    /// <remarks>
    /// Why 30 seconds: a failover, or a connection recovery, resubscribes within seconds (the connection retries every
    /// 500 ms, resubscribing backs off up to <see cref="MaxResubscribeDelay"/>), so a probe never fails for one; a queue
    /// that is gone, or a permission that is missing, shows within half a minute. Keep it above
    /// <see cref="MaxResubscribeDelay"/>. The check counts from the consumer's start, and is healthy again as soon as
    /// the consumer has resubscribed.
    /// </remarks>
    public TimeSpan UnhealthyAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how long one call of the <see cref="IRabbitHaDeduplicationStore"/> may take, with
    /// <see cref="DeduplicateByMessageId"/>.
    /// </summary>
    /// <value>The default is 5 seconds. Must be positive and at most 5 minutes.</value>
    /// <remarks>
    /// A call that takes longer is given up on (its token is cancelled) and counts as a failure of the store: see
    /// <see cref="IRabbitHaDeduplicationStore"/> for what then happens to the message.
    /// </remarks>
    public TimeSpan DeduplicationStoreTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets how long a handler whose token was cancelled (timed out, stopping, channel lost) gets to return
    /// before the consumer stops waiting for it. Not an option: tests shorten it.
    /// </summary>
    internal TimeSpan CancellationGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets the consumer name: <see cref="Name"/>, or the queue when it is not set.</summary>
    internal string EffectiveName => string.IsNullOrWhiteSpace(Name) ? Queue : Name;

    /// <summary>Gets the dead-letter queue: <see cref="DeadLetterQueue"/>, or the queue's name followed by <c>.dead-letter</c>.</summary>
    internal string EffectiveDeadLetterQueue => DeadLetterQueue ?? Queue + DefaultDeadLetterQueueSuffix;

    /// <summary>Copies the options, so that a running consumer is not changed by later edits.</summary>
    internal RabbitHaConsumerOptions Clone() => (RabbitHaConsumerOptions)MemberwiseClone();
}
