namespace RabbitHa.Client.Internal.Consuming;

/// <summary>
/// Turns a delivery into a call of the consumer's handler, whatever its message type: deserializes the
/// body and finds the handler (from a new dependency-injection scope, or the one instance given).
/// </summary>
internal interface IMessageInvoker
{
    /// <summary>Deserializes the body and calls the handler.</summary>
    /// <exception cref="MessageDeserializationException">The body is not a valid message; trying again cannot help.</exception>
    /// <exception cref="MessageHandlerUnavailableException">The handler could not be created; the attempt counts as failed.</exception>
    Task InvokeAsync(ReadOnlyMemory<byte> body, RabbitHaMessageContext context, CancellationToken cancellationToken);
}
