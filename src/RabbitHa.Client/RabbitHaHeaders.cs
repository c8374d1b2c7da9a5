namespace RabbitHa.Client;

/// <summary>The message headers RabbitHa reads and writes.</summary>
public static class RabbitHaHeaders
{
    /// <summary>
    /// Set to <see langword="true"/> by the publisher on a message it sends again because the first send was
    /// not confirmed (the connection was lost, the confirm timed out or was negative). The broker may hold an
    /// earlier copy: consumers treat the message as a possible duplicate and can drop it by its message id.
    /// </summary>
    public const string Resent = "x-rabbitha-resent";

    /// <summary>Quorum queues count deliveries in this header (RabbitMQ sets it, from the second delivery on).</summary>
    public const string DeliveryCount = "x-delivery-count";
}
