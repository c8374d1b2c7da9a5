namespace RabbitHa.Client.Internal.Consuming;

/// <summary>
/// The consumer's handler could not be created from dependency injection (not registered, or its constructor or
/// one of its dependencies threw). Counts as a failed attempt, like a handler that threw, but is dead-lettered with
/// its own reason, <c>handler-unavailable</c>, so that a configuration error is told apart from a bad message.
/// </summary>
internal sealed class MessageHandlerUnavailableException : Exception
{
    public MessageHandlerUnavailableException()
    {
    }

    public MessageHandlerUnavailableException(string message)
        : base(message)
    {
    }

    public MessageHandlerUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
