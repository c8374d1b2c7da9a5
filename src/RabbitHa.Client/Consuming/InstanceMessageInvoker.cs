namespace RabbitHa.Client.Internal.Consuming;

/// <summary>Calls one handler instance, given to a consumer created without dependency injection.</summary>
internal sealed class InstanceMessageInvoker<TMessage> : IMessageInvoker
{
    private readonly IRabbitHaHandler<TMessage> _handler;
    private readonly IRabbitHaSerializer _serializer;

    public InstanceMessageInvoker(IRabbitHaHandler<TMessage> handler, IRabbitHaSerializer serializer)
    {
        _handler = handler;
        _serializer = serializer;
    }

    public Task InvokeAsync(ReadOnlyMemory<byte> body, RabbitHaMessageContext context, CancellationToken cancellationToken) =>
        _handler.HandleAsync(MessageBody.Decode<TMessage>(_serializer, body), context, cancellationToken);
}
