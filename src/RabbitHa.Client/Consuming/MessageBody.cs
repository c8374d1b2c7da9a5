namespace RabbitHa.Client.Internal.Consuming;

/// <summary>Turns a body into a handler's message type: the raw body for <see cref="ReadOnlyMemory{T}"/>, the serializer otherwise.</summary>
internal static class MessageBody
{
    public static TMessage Decode<TMessage>(IRabbitHaSerializer serializer, ReadOnlyMemory<byte> body)
    {
        if (typeof(TMessage) == typeof(ReadOnlyMemory<byte>))
        {
            return (TMessage)(object)body;
        }

        try
        {
            return serializer.Deserialize<TMessage>(body);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever a serializer throws for these bytes, it throws again for the same bytes: not worth a
            // retry. Wrapped, not swallowed: the message is dead-lettered and the cause logged.
            throw new MessageDeserializationException(
                $"The body ({body.Length} bytes) is not a valid {typeof(TMessage).Name} for {serializer.GetType().Name}: {ex.Message}", ex);
        }
    }
}
