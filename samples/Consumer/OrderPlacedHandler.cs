using Microsoft.Extensions.Logging;
using RabbitHa.Client;

namespace RabbitHa.Samples.Consumer;

/// <summary>
/// Handles one order; the consumer acknowledges it when this returns, and retries it (then dead-letters it) if
/// this throws. With DeduplicateByMessageId on, a message handled already (a re-send after a failover) is dropped
/// before it gets here.
/// </summary>
internal sealed partial class OrderPlacedHandler(ILogger<OrderPlacedHandler> logger) : IRabbitHaHandler<OrderPlaced>
{
    public Task HandleAsync(OrderPlaced message, RabbitHaMessageContext context, CancellationToken cancellationToken)
    {
        LogHandled(logger, message.Number, message.Quantity, message.Product, (DateTimeOffset.UtcNow - message.PlacedAt).TotalMilliseconds,
            context.DeliveryCount, context.IsPossibleDuplicate);
        return Task.CompletedTask;
    }

    [LoggerMessage(1, LogLevel.Information, "order {Number}: {Quantity} x {Product} ({LatencyMs:F0} ms after it was placed; delivery {DeliveryCount}, possible duplicate: {PossibleDuplicate})")]
    private static partial void LogHandled(ILogger logger, int number, int quantity, string product, double latencyMs, int deliveryCount, bool possibleDuplicate);
}
