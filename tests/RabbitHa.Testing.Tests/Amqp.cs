using RabbitMQ.Client;

namespace RabbitHa.Testing.Tests;

/// <summary>Plain RabbitMQ.Client calls the tests use to prove what the cluster does.</summary>
internal static class Amqp
{
    public static Task<IConnection> ConnectAsync(Uri uri, string name, CancellationToken cancellationToken = default) =>
        new ConnectionFactory { Uri = uri, AutomaticRecoveryEnabled = false }.CreateConnectionAsync(name, cancellationToken);

    public static async Task PublishConfirmedAsync(IConnection connection, string queue, byte[] body, CancellationToken cancellationToken = default)
    {
        var options = new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);
        await using var channel = await connection.CreateChannelAsync(options, cancellationToken);
        var properties = new BasicProperties { DeliveryMode = DeliveryModes.Persistent };
        // With confirmation tracking on, this returns once the broker confirmed the message (and throws on a nack).
        await channel.BasicPublishAsync(string.Empty, queue, mandatory: true, properties, body, cancellationToken);
    }

    public static async Task DeclareDurableQueueAsync(IConnection connection, string queue, CancellationToken cancellationToken = default)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, cancellationToken: cancellationToken);
    }
}
