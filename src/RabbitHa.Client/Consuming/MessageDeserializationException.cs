namespace RabbitHa.Client.Internal.Consuming;

/// <summary>A message body could not be turned into the handler's message type: the message is dead-lettered without retry.</summary>
internal sealed class MessageDeserializationException : Exception
{
    public MessageDeserializationException()
    {
    }

    public MessageDeserializationException(string message)
        : base(message)
    {
    }

    public MessageDeserializationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
