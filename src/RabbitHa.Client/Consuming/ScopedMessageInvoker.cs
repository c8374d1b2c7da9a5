using Microsoft.Extensions.DependencyInjection;

namespace RabbitHa.Client;

/// <summary>Resolves the handler from a new dependency-injection scope for each message, like a request in ASP.NET Core.</summary>
internal sealed class ScopedMessageInvoker<THandler, TMessage> : IMessageInvoker
    where THandler : class, IRabbitHaHandler<TMessage>
{
    private readonly IServiceScopeFactory _scopes;
    private readonly IRabbitHaSerializer _serializer;

    public ScopedMessageInvoker(IServiceScopeFactory scopes, IRabbitHaSerializer serializer)
    {
        _scopes = scopes;
        _serializer = serializer;
    }

    public async Task InvokeAsync(ReadOnlyMemory<byte> body, RabbitHaMessageContext context, CancellationToken cancellationToken)
    {
        // Before the scope: a body that cannot be read never costs a handler's construction.
        TMessage message = MessageBody.Decode<TMessage>(_serializer, body);
        AsyncServiceScope scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            THandler handler = scope.ServiceProvider.GetRequiredService<THandler>();
            await handler.HandleAsync(message, context, cancellationToken).ConfigureAwait(false);
        }
    }
}
