using System.Text;
using RabbitHa.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.IntegrationTests.Consuming;

/// <summary>Plain RabbitMQ.Client calls the tests use to set up queues and look at them, independently of the library under test.</summary>
internal static class TestAmqp
{
    public static Task<IConnection> ConnectAsync(Uri uri, string name) =>
        new ConnectionFactory { Uri = uri, AutomaticRecoveryEnabled = false }.CreateConnectionAsync(name);

    public static async Task DeclareQueueAsync(Uri uri, string queue, IDictionary<string, object?>? arguments = null)
    {
        await using IConnection connection = await ConnectAsync(uri, "test-topology");
        await using IChannel channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments);
    }

    /// <summary>
    /// A test's own queue (<see cref="TestQueue"/>), once it is mirrored on every node: what a chaos test that kills
    /// a node needs before it starts.
    /// </summary>
    public static async Task<TestQueue> DeclareMirroredQueueAsync(IRabbitHaCluster cluster, string purpose)
    {
        TestQueue queue = await TestQueue.DeclareAsync(cluster.AmqpUri, purpose);
        try
        {
            await Eventually.HoldsAsync(async () => await cluster.GetQueueReplicasAsync(queue.Name) is { SynchronisedMirrors.Count: 2 },
                TimeSpan.FromSeconds(30), "the queue is mirrored on every node");
            return queue;
        }
        catch
        {
            await queue.DisposeAsync();
            throw;
        }
    }

    public static async Task DeleteQueueAsync(Uri uri, string queue)
    {
        await using IConnection connection = await ConnectAsync(uri, "test-topology");
        await using IChannel channel = await connection.CreateChannelAsync();
        await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false);
    }

    public static async Task<uint> MessageCountAsync(Uri uri, string queue)
    {
        await using IConnection connection = await ConnectAsync(uri, "test-inspect");
        await using IChannel channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
    }

    /// <summary>Takes every message out of a queue (acknowledged), returning their message ids and headers.</summary>
    public static async Task<List<BasicGetResult>> DrainAsync(Uri uri, string queue)
    {
        await using IConnection connection = await ConnectAsync(uri, "test-drain");
        await using IChannel channel = await connection.CreateChannelAsync();
        var messages = new List<BasicGetResult>();
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
        {
            messages.Add(message);
        }

        return messages;
    }

    public static async Task PublishOnceAsync(Uri uri, string queue, string messageId, string body)
    {
        await using IConnection connection = await ConnectAsync(uri, "test-publish");
        var options = new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);
        await using IChannel channel = await connection.CreateChannelAsync(options);
        var properties = new BasicProperties { MessageId = messageId, DeliveryMode = DeliveryModes.Persistent };
        await channel.BasicPublishAsync(string.Empty, queue, mandatory: true, properties, Encoding.UTF8.GetBytes(body));
    }

    public static bool IsTransient(Exception ex) =>
        ex is OperationInterruptedException or BrokerUnreachableException or PublishException or IOException or TimeoutException
            or ObjectDisposedException or ConnectFailureException;
}
