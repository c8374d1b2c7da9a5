namespace RabbitHa.Client;

/// <summary>The message headers RabbitHa reads and writes.</summary>
public static class RabbitHaHeaders
{
    /// <summary>
    /// Set to <see langword="true"/> by the publisher on a message it sends again because the first send was
    /// not confirmed (the connection was lost, the confirm timed out or was negative). The broker may hold an
    /// earlier copy: consumers treat the message as a possible duplicate and can drop it by its message id.
    /// </summary>
    public const string Resent = "x-rabbitha-resent";

    /// <summary>Quorum queues count deliveries in this header (RabbitMQ sets it, from the second delivery on).</summary>
    public const string DeliveryCount = "x-delivery-count";

    /// <summary>
    /// Set by a consumer on a message whose handler failed and that it sends back to its queue for another
    /// attempt, where the broker does not count deliveries (classic queues): how many attempts have failed so
    /// far, an integer. It travels with the message, so every consumer process of the queue continues the same
    /// count; the counterpart of the quorum queue's <see cref="DeliveryCount"/>.
    /// </summary>
    public const string ConsumerDeliveryCount = "x-rabbitha-delivery-count";

    /// <summary>
    /// The exchange a message was first published to, kept on a copy that a consumer sent back to its queue or
    /// to its dead-letter queue (both go through the default exchange). <see cref="RabbitHaMessageContext.Exchange"/>
    /// reports this value when it is present.
    /// </summary>
    public const string OriginalExchange = "x-rabbitha-original-exchange";

    /// <summary>
    /// The routing key a message was first published with, kept like <see cref="OriginalExchange"/>.
    /// <see cref="RabbitHaMessageContext.RoutingKey"/> reports this value when it is present.
    /// </summary>
    public const string OriginalRoutingKey = "x-rabbitha-original-routing-key";

    /// <summary>
    /// On a message in a consumer's dead-letter queue: why it is there. One of <c>handler-failed</c> (the handler
    /// threw on its last attempt, or at once with <see cref="RabbitHaFailureAction.DeadLetter"/>),
    /// <c>deserialization-failed</c> (the body is not a valid message of the handler's type; never retried),
    /// <c>handler-unavailable</c> (the handler could not be created from dependency injection on its last attempt) and
    /// <c>handler-timed-out</c> (the handler ran longer than <see cref="RabbitHaConsumerOptions.HandlerTimeout"/> on its last attempt).
    /// </summary>
    public const string DeadLetterReason = "x-rabbitha-dead-letter-reason";

    /// <summary>On a message in a consumer's dead-letter queue: the full name of the type of the exception that sent it there.</summary>
    public const string ExceptionType = "x-rabbitha-exception-type";

    /// <summary>On a message in a consumer's dead-letter queue: the message of that exception, cut to about 1,000 characters.</summary>
    public const string ExceptionMessage = "x-rabbitha-exception-message";

    /// <summary>On a message in a consumer's dead-letter queue: how many attempts were made to handle it, an integer.</summary>
    public const string Attempts = "x-rabbitha-attempts";

    /// <summary>On a message in a consumer's dead-letter queue: the name of the consumer that dead-lettered it (<see cref="RabbitHaConsumerOptions.Name"/>, or its queue).</summary>
    public const string Consumer = "x-rabbitha-consumer";

    /// <summary>On a message in a consumer's dead-letter queue: the queue it was consumed from.</summary>
    public const string SourceQueue = "x-rabbitha-source-queue";

    /// <summary>On a message in a consumer's dead-letter queue: when it was dead-lettered, in UTC, as an ISO 8601 string (<c>2025-01-31T12:34:56.789Z</c>).</summary>
    public const string DeadLetteredAt = "x-rabbitha-dead-lettered-at";
}
