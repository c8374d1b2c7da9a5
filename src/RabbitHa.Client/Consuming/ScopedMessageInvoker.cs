using Microsoft.Extensions.DependencyInjection;

namespace RabbitHa.Client.Internal.Consuming;

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
            THandler handler = CreateHandler(scope.ServiceProvider);
            await handler.HandleAsync(message, context, cancellationToken).ConfigureAwait(false);
        }
    }

    private static THandler CreateHandler(IServiceProvider services)
    {
        try
        {
            return services.GetRequiredService<THandler>();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever the container or a constructor throws, the handler never ran: wrapped, not swallowed, so that the
            // message is dead-lettered (once out of attempts) as handler-unavailable, with this exception as the cause.
            throw new MessageHandlerUnavailableException($"The handler {typeof(THandler).Name} could not be created: {ex.Message}", ex);
        }
    }
}
