using RabbitMQ.Client;

namespace RabbitHa.TestSupport;

/// <summary>
/// A queue of one test's own, named uniquely so that tests sharing a cluster never meet, and deleted (with its messages)
/// on dispose: <c>await using var queue = await TestQueue.DeclareAsync(Cluster.AmqpUri, "purpose");</c>.
/// Declared and deleted on a connection of its own, independently of the library under test.
/// </summary>
public sealed class TestQueue : IAsyncDisposable
{
    private readonly Uri _amqpUri;

    private TestQueue(Uri amqpUri, string name)
    {
        _amqpUri = amqpUri;
        Name = name;
    }

    /// <summary>Gets the queue's name: the purpose, a dash, and random hexadecimal digits.</summary>
    public string Name { get; }

    /// <summary>A unique queue name: <paramref name="purpose"/>, a dash and <paramref name="randomDigits"/> hexadecimal digits (32 at most).</summary>
    public static string NewName(string purpose, int randomDigits = 32) => $"{purpose}-{Guid.NewGuid().ToString("N")[..randomDigits]}";

    /// <summary>Declares a durable queue with a new name (see <see cref="NewName"/>) and the given arguments, if any.</summary>
    public static async Task<TestQueue> DeclareAsync(
        Uri amqpUri, string purpose, IDictionary<string, object?>? arguments = null, CancellationToken cancellationToken = default)
    {
        var queue = new TestQueue(amqpUri, NewName(purpose));
        await using IConnection connection = await queue.ConnectAsync(cancellationToken);
        await using IChannel channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(queue.Name, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken);
        return queue;
    }

    /// <summary>A queue that the test's application declares itself (its topology): only named here, and deleted on dispose.</summary>
    public static TestQueue Named(Uri amqpUri, string purpose, int randomDigits = 32) => new(amqpUri, NewName(purpose, randomDigits));

    /// <summary>
    /// Deletes the queue, whether it is in use or holds messages; a queue that does not exist is no error. A failure to
    /// delete fails the test: a broken cluster after the test is worth knowing.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await using IConnection connection = await ConnectAsync(CancellationToken.None);
        await using IChannel channel = await connection.CreateChannelAsync();
        await channel.QueueDeleteAsync(Name, ifUnused: false, ifEmpty: false);
    }

    public override string ToString() => Name;

    private Task<IConnection> ConnectAsync(CancellationToken cancellationToken) =>
        new ConnectionFactory { Uri = _amqpUri, AutomaticRecoveryEnabled = false }.CreateConnectionAsync("test-queue", cancellationToken);
}
