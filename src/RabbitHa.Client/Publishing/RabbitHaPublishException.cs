namespace RabbitHa.Client;

/// <summary>A publish that could not be confirmed, with the reason and the message it was about.</summary>
public sealed class RabbitHaPublishException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="RabbitHaPublishException"/> class.</summary>
    public RabbitHaPublishException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RabbitHaPublishException"/> class.</summary>
    /// <param name="message">The error message.</param>
    public RabbitHaPublishException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RabbitHaPublishException"/> class.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="innerException">The last error from the broker or the connection.</param>
    public RabbitHaPublishException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    internal RabbitHaPublishException(RabbitHaPublishFailureReason reason, string messageId, string exchange, string routingKey, int attempts, string detail, Exception? innerException)
        : base($"Publishing message '{messageId}' to exchange '{exchange}' with routing key '{routingKey}' failed after {attempts} attempt(s): {detail}", innerException)
    {
        Reason = reason;
        MessageId = messageId;
        Exchange = exchange;
        RoutingKey = routingKey;
        Attempts = attempts;
    }

    /// <summary>Gets why the publish failed.</summary>
    public RabbitHaPublishFailureReason Reason { get; }

    /// <summary>Gets the message id of the message (set by the publisher when the caller gave none).</summary>
    public string? MessageId { get; }

    /// <summary>Gets the exchange the message was published to.</summary>
    public string? Exchange { get; }

    /// <summary>Gets the routing key of the message.</summary>
    public string? RoutingKey { get; }

    /// <summary>Gets how many times the message was sent.</summary>
    public int Attempts { get; }
}
