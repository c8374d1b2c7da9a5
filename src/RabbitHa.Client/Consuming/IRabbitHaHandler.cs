namespace RabbitHa.Client;

/// <summary>
/// Handles the messages of one RabbitHa consumer. A message is acknowledged when
/// <see cref="HandleAsync"/> completes; when it throws, the message is tried again or dead-lettered (see
/// <see cref="RabbitHaConsumerOptions.FailureAction"/> and <see cref="RabbitHaConsumerOptions.DeadLetterStrategy"/>).
/// </summary>
/// <typeparam name="TMessage">
/// The message type. <see cref="ReadOnlyMemory{T}"/> of <see cref="byte"/> receives the raw body, which is
/// only valid until <see cref="HandleAsync"/> returns (copy it to keep it); any other type is deserialized
/// with the registered <see cref="IRabbitHaSerializer"/>.
/// </typeparam>
/// <remarks>
/// <para>
/// Delivery is at least once: after a connection loss, a failover or a stop timeout, a message whose
/// acknowledgement did not reach the broker is delivered again, possibly to another consumer.
/// <see cref="RabbitHaMessageContext.IsPossibleDuplicate"/> says when that may be the case; turn on
/// <see cref="RabbitHaConsumerOptions.DeduplicateByMessageId"/> to drop messages already handled.
/// </para>
/// <para>
/// Registered with <c>AddConsumer</c>, the handler is resolved from a new dependency-injection scope for
/// each message. With <see cref="RabbitHaConsumerOptions.Concurrency"/> above 1, several messages are
/// handled at the same time.
/// </para>
/// </remarks>
public interface IRabbitHaHandler<in TMessage>
{
    /// <summary>Handles one message.</summary>
    /// <param name="message">The message.</param>
    /// <param name="context">Where the message came from and how often it was delivered.</param>
    /// <param name="cancellationToken">
    /// Cancelled when the consumer's <see cref="RabbitHaConsumerOptions.StopTimeout"/> has run out while
    /// stopping, or when the channel the message came on has closed (its acknowledgement can no longer
    /// be sent: the broker delivers the message again). A handler that stops early should throw
    /// <see cref="OperationCanceledException"/>; the message is then left to the broker, not counted as failed.
    /// Also cancelled when the handler has run for <see cref="RabbitHaConsumerOptions.HandlerTimeout"/>: that attempt
    /// counts as failed. A handler that ignores its token is given up on after a moment: its message is settled
    /// without it, and it keeps one of the consumer's <see cref="RabbitHaConsumerOptions.Concurrency"/> slots until it returns.
    /// </param>
    /// <returns>A task that completes when the message has been handled.</returns>
    Task HandleAsync(TMessage message, RabbitHaMessageContext context, CancellationToken cancellationToken);
}
