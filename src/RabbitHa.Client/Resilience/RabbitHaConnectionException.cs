namespace RabbitHa.Client;

/// <summary>
/// Thrown when the RabbitHa connection cannot be opened: the start-up timeout ran out while the cluster was
/// unreachable, or the broker refused the connection (the credentials, the virtual host). The message
/// names the endpoints and the cause, never the password; <see cref="Exception.InnerException"/> holds
/// RabbitMQ.Client's exception.
/// </summary>
public sealed class RabbitHaConnectionException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="RabbitHaConnectionException"/> class.</summary>
    public RabbitHaConnectionException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RabbitHaConnectionException"/> class with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public RabbitHaConnectionException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RabbitHaConnectionException"/> class with a message and its cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The exception that caused it.</param>
    public RabbitHaConnectionException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
