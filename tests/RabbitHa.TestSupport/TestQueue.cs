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
    private readonly List<string> _companions = [];

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

    /// <summary>
    /// Declares <c>{Name}.dlq</c>, then a durable queue with a new name that dead-letters into it through the default
    /// exchange (<paramref name="arguments"/> besides); both are deleted on dispose. The dead-letter queue's name is
    /// <see cref="Companion"/>'s, <c>".dlq"</c>.
    /// </summary>
    public static async Task<TestQueue> DeclareWithDeadLetterQueueAsync(
        Uri amqpUri, string purpose, IDictionary<string, object?>? arguments = null, CancellationToken cancellationToken = default)
    {
        var queue = new TestQueue(amqpUri, NewName(purpose));
        string deadLetterQueue = queue.Companion(".dlq");
        await using IConnection connection = await queue.ConnectAsync(cancellationToken);
        await using IChannel channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(deadLetterQueue, durable: true, exclusive: false, autoDelete: false, cancellationToken: cancellationToken);
        var withDeadLettering = new Dictionary<string, object?>(arguments ?? new Dictionary<string, object?>())
        {
            ["x-dead-letter-exchange"] = string.Empty,
            ["x-dead-letter-routing-key"] = deadLetterQueue,
        };
        await channel.QueueDeclareAsync(queue.Name, durable: true, exclusive: false, autoDelete: false, withDeadLettering, cancellationToken: cancellationToken);
        return queue;
    }

    /// <summary>A queue that the test's application declares itself (its topology): only named here, and deleted on dispose.</summary>
    public static TestQueue Named(Uri amqpUri, string purpose, int randomDigits = 32) => new(amqpUri, NewName(purpose, randomDigits));

    /// <summary>
    /// The name of a queue that goes with this one (<c>{Name}{suffix}</c>: the consumer's own <c>".dead-letter"</c>
    /// queue, a dead-letter queue the test declares), deleted with it on dispose.
    /// </summary>
    public string Companion(string suffix)
    {
        string name = Name + suffix;
        lock (_companions)
        {
            if (!_companions.Contains(name))
            {
                _companions.Add(name);
            }
        }

        return name;
    }

    /// <summary>
    /// Deletes the queue and its companions, whether in use or holding messages; a queue that does not exist is no
    /// error. A failure to delete fails the test: a broken cluster after the test is worth knowing.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        string[] companions;
        lock (_companions)
        {
            companions = [.. _companions];
        }

        await using IConnection connection = await ConnectAsync(CancellationToken.None);
        await using IChannel channel = await connection.CreateChannelAsync();
        foreach (string queue in (string[])[Name, .. companions])
        {
            await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false);
        }
    }

    public override string ToString() => Name;

    private Task<IConnection> ConnectAsync(CancellationToken cancellationToken) =>
        new ConnectionFactory { Uri = _amqpUri, AutomaticRecoveryEnabled = false }.CreateConnectionAsync("test-queue", cancellationToken);
}
