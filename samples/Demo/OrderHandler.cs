using RabbitHa.Client;

namespace RabbitHa.Demo;

/// <summary>Which of the demo's consumers a host runs (each consumer is its own host, with its own connection).</summary>
/// <param name="Index">0, 1 or 2.</param>
public sealed record ConsumerSlot(int Index);

/// <summary>Handles an order by writing it into the ledger; the consumer acknowledges it when this returns.</summary>
public sealed class OrderHandler(Ledger ledger, ConsumerSlot slot) : IRabbitHaHandler<OrderPlaced>
{
    /// <inheritdoc/>
    public Task HandleAsync(OrderPlaced message, RabbitHaMessageContext context, CancellationToken cancellationToken)
    {
        ledger.Handled(message.Number, slot.Index, context.IsResent);
        return Task.CompletedTask;
    }
}
