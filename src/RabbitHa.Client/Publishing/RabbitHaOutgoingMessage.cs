using RabbitMQ.Client;

namespace RabbitHa.Client;

/// <summary>A message to publish.</summary>
/// <param name="Exchange">The exchange; empty for the default exchange (routing key = queue name).</param>
/// <param name="RoutingKey">The routing key.</param>
/// <param name="Body">The message body.</param>
public sealed record RabbitHaOutgoingMessage(string Exchange, string RoutingKey, ReadOnlyMemory<byte> Body)
{
    /// <summary>Gets the message properties, or <see langword="null"/>. The publisher copies them and never changes them.</summary>
    /// <value>
    /// <see langword="null"/>. The publisher sets <c>message_id</c> (a new GUID) when absent, and
    /// <c>delivery_mode</c> from <see cref="RabbitHaPublisherOptions.Persistent"/> when absent.
    /// </value>
    public BasicProperties? Properties { get; init; }

    /// <summary>Gets whether the broker must return the message when no queue is bound to receive it.</summary>
    /// <value><see langword="null"/>: <see cref="RabbitHaPublisherOptions.Mandatory"/> decides.</value>
    public bool? Mandatory { get; init; }
}
