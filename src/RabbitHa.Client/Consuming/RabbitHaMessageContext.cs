using RabbitHa.Client.Internal.Consuming;
using RabbitMQ.Client;

namespace RabbitHa.Client;

/// <summary>Where a delivered message came from and what the broker and the publisher said about it.</summary>
public sealed class RabbitHaMessageContext
{
    internal RabbitHaMessageContext(
        string consumerName,
        string queue,
        string exchange,
        string routingKey,
        bool redelivered,
        int deliveryCount,
        IReadOnlyBasicProperties properties)
    {
        ConsumerName = consumerName;
        Queue = queue;
        Exchange = exchange;
        RoutingKey = routingKey;
        Redelivered = redelivered;
        DeliveryCount = deliveryCount;
        Properties = properties;
        IsResent = MessageHeaders.IsTrue(properties.Headers, RabbitHaHeaders.Resent);
    }

    /// <summary>Gets the name of the consumer that received the message (<see cref="RabbitHaConsumerOptions.Name"/>, or the queue).</summary>
    public string ConsumerName { get; }

    /// <summary>Gets the queue the message was consumed from.</summary>
    public string Queue { get; }

    /// <summary>
    /// Gets the exchange the message was published to; empty for the default exchange. For a message that a consumer
    /// sent back to its queue for another attempt, the exchange it was first published to (header <see cref="RabbitHaHeaders.OriginalExchange"/>).
    /// </summary>
    public string Exchange { get; }

    /// <summary>
    /// Gets the routing key the message was published with. For a message that a consumer sent back to its queue for
    /// another attempt, the routing key it was first published with (header <see cref="RabbitHaHeaders.OriginalRoutingKey"/>).
    /// </summary>
    public string RoutingKey { get; }

    /// <summary>Gets the message id the publisher set (<c>message_id</c>), or <see langword="null"/> if none.</summary>
    public string? MessageId => Properties.MessageId;

    /// <summary>Gets a value indicating whether the broker has delivered this message before (to this consumer or another) without an acknowledgement.</summary>
    public bool Redelivered { get; }

    /// <summary>Gets a value indicating whether the publisher sent this message again because its first send was not confirmed (header <see cref="RabbitHaHeaders.Resent"/>).</summary>
    public bool IsResent { get; }

    /// <summary>
    /// Gets a value indicating whether an earlier copy of this message may have been handled already, in part or in
    /// full: it is <see cref="Redelivered"/> or <see cref="IsResent"/>, or an earlier attempt failed (<see cref="DeliveryCount"/> above 1).
    /// </summary>
    public bool IsPossibleDuplicate => Redelivered || IsResent || DeliveryCount > 1;

    /// <summary>
    /// Gets which attempt this delivery is, from 1 for the first: the highest of what the quorum queue's
    /// <see cref="RabbitHaHeaders.DeliveryCount"/> header says, what the <see cref="RabbitHaHeaders.ConsumerDeliveryCount"/>
    /// header a consumer wrote on a classic queue says, and 2 when <see cref="Redelivered"/>.
    /// </summary>
    public int DeliveryCount { get; }

    /// <summary>Gets the message properties and headers as received.</summary>
    public IReadOnlyBasicProperties Properties { get; }
}
