using System.Globalization;
using RabbitMQ.Client;

namespace RabbitHa.Client.Internal.Consuming;

/// <summary>
/// The copies of a delivered message that a consumer publishes: back to its own queue for another attempt, or to
/// its dead-letter queue. Both go through the default exchange, mandatory, so that a missing queue is a failed
/// publish rather than a lost message; the original exchange and routing key travel in headers.
/// </summary>
internal static class MessageCopies
{
    /// <summary>How much of an exception's message goes into <see cref="RabbitHaHeaders.ExceptionMessage"/>: headers count against the frame size.</summary>
    public const int MaxExceptionMessageLength = 1000;

    /// <summary>The copy that goes back to the consumer's queue, carrying how many attempts have failed.</summary>
    /// <param name="queue">The consumer's queue.</param>
    /// <param name="failedAttempts">The attempts that failed so far, this one included.</param>
    /// <param name="exchange">The exchange the message was first published to.</param>
    /// <param name="routingKey">The routing key it was first published with.</param>
    /// <param name="properties">The delivery's properties.</param>
    /// <param name="body">The body, unchanged.</param>
    public static RabbitHaOutgoingMessage ForRetry(string queue, int failedAttempts, string exchange, string routingKey, IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body)
    {
        BasicProperties copy = CopyProperties(properties);
        IDictionary<string, object?> headers = copy.Headers!;
        headers[RabbitHaHeaders.ConsumerDeliveryCount] = failedAttempts;
        headers[RabbitHaHeaders.OriginalExchange] = exchange;
        headers[RabbitHaHeaders.OriginalRoutingKey] = routingKey;
        return new RabbitHaOutgoingMessage(string.Empty, queue, body) { Properties = copy, Mandatory = true };
    }

    /// <summary>The copy that goes to the dead-letter queue, with the headers that say why and where from.</summary>
    public static RabbitHaOutgoingMessage ForDeadLetter(
        string deadLetterQueue,
        DeadLetterReason reason,
        Exception exception,
        int attempts,
        string consumer,
        string sourceQueue,
        string exchange,
        string routingKey,
        DateTimeOffset deadLetteredAt,
        IReadOnlyBasicProperties properties,
        ReadOnlyMemory<byte> body)
    {
        BasicProperties copy = CopyProperties(properties);

        // A dead-lettered message is kept for someone to look at, whatever its publisher chose; its expiration would
        // delete it from the dead-letter queue (the broker's own dead-lettering drops it for the same reason).
        copy.DeliveryMode = DeliveryModes.Persistent;
        copy.Expiration = null;

        IDictionary<string, object?> headers = copy.Headers!;

        // Replayed from the dead-letter queue, the message starts counting afresh; the attempts made are in Attempts.
        headers.Remove(RabbitHaHeaders.ConsumerDeliveryCount);
        Exception cause = Cause(exception);
        headers[RabbitHaHeaders.DeadLetterReason] = reason.ToHeaderValue();
        headers[RabbitHaHeaders.ExceptionType] = cause.GetType().FullName ?? cause.GetType().Name;
        headers[RabbitHaHeaders.ExceptionMessage] = Truncate(exception.Message);
        headers[RabbitHaHeaders.Attempts] = attempts;
        headers[RabbitHaHeaders.Consumer] = consumer;
        headers[RabbitHaHeaders.SourceQueue] = sourceQueue;
        headers[RabbitHaHeaders.OriginalExchange] = exchange;
        headers[RabbitHaHeaders.OriginalRoutingKey] = routingKey;
        headers[RabbitHaHeaders.DeadLetteredAt] = deadLetteredAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        return new RabbitHaOutgoingMessage(string.Empty, deadLetterQueue, body) { Properties = copy, Mandatory = true };
    }

    /// <summary>
    /// What went wrong, for the exception type: RabbitHa's own wrappers (a body that cannot be deserialized, a handler
    /// that cannot be created) stand for the exception they wrap, whose message theirs already includes.
    /// </summary>
    private static Exception Cause(Exception exception) =>
        exception is MessageDeserializationException or MessageHandlerUnavailableException && exception.InnerException is { } inner
            ? inner
            : exception;

    private static string Truncate(string text) =>
        text.Length <= MaxExceptionMessageLength ? text : string.Concat(text.AsSpan(0, MaxExceptionMessageLength - 1), "…");

    /// <summary>
    /// Every property, and the headers in a dictionary of the copy's own, except <c>user_id</c>: the broker checks it
    /// against the user of the connection that publishes, and would refuse a copy of another user's message for ever.
    /// The headers include the message's trace context (<c>traceparent</c>, <c>tracestate</c>): the copy stays in the trace
    /// of the original publish, and the publisher keeps that context rather than inject its own.
    /// </summary>
    private static BasicProperties CopyProperties(IReadOnlyBasicProperties properties)
    {
        var copy = new BasicProperties(properties)
        {
            Headers = properties.Headers is { } headers
                ? new Dictionary<string, object?>(headers, StringComparer.Ordinal)
                : new Dictionary<string, object?>(StringComparer.Ordinal),
            UserId = null,
        };
        return copy;
    }
}
