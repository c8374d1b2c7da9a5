using RabbitMQ.Client;

namespace RabbitHa.Client.Internal.Consuming;

/// <summary>
/// A delivery taken over from RabbitMQ.Client's dispatcher. Its body is a copy: the client hands out a rented buffer
/// that it reuses once the delivery callback returns, and here the handler runs after that.
/// </summary>
internal sealed record Delivery(ulong DeliveryTag, bool Redelivered, string Exchange, string RoutingKey, IReadOnlyBasicProperties Properties, ReadOnlyMemory<byte> Body)
{
    public string? MessageId => Properties.MessageId;
}
