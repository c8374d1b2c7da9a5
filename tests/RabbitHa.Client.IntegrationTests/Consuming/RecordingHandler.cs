namespace RabbitHa.Client.IntegrationTests.Consuming;

/// <summary>The test's behaviour for a handler: runs before the message counts as handled; throw to fail it.</summary>
internal sealed class HandlerBehavior
{
    public Func<RabbitHaMessageContext, CancellationToken, Task>? BeforeHandled { get; init; }
}

/// <summary>Which consumer process (host) a handler runs in.</summary>
internal sealed record ConsumerIdentity(string Name);

/// <summary>Records what it handles in the test's <see cref="DeliveryLog"/>.</summary>
internal sealed class RecordingHandler(DeliveryLog log, ConsumerIdentity identity, HandlerBehavior behavior) : IRabbitHaHandler<ReadOnlyMemory<byte>>
{
    public async Task HandleAsync(ReadOnlyMemory<byte> message, RabbitHaMessageContext context, CancellationToken cancellationToken)
    {
        string id = context.MessageId ?? throw new InvalidOperationException("Test messages carry a message id.");
        log.Attempted(id);
        if (behavior.BeforeHandled is { } before)
        {
            await before(context, cancellationToken);
        }

        log.Recorded(identity.Name, id);
    }
}

/// <summary>A typed message, to prove deserialization (and its failure).</summary>
internal sealed record OrderPlaced(string OrderId, decimal Amount);

internal sealed class OrderHandler(DeliveryLog log, ConsumerIdentity identity) : IRabbitHaHandler<OrderPlaced>
{
    public Task HandleAsync(OrderPlaced message, RabbitHaMessageContext context, CancellationToken cancellationToken)
    {
        log.Attempted(context.MessageId!);
        log.Recorded(identity.Name, message.OrderId);
        return Task.CompletedTask;
    }
}
