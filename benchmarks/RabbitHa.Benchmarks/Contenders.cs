using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using RabbitHa.Client;
using RabbitMQ.Client;

namespace RabbitHa.Benchmarks;

/// <summary>A publisher under test: something that publishes message number <c>i</c> and returns once it is confirmed.</summary>
internal interface IContender : IAsyncDisposable
{
    /// <summary>Gets the client-provided name of the connection it publishes on: the one whose node a failover run kills.</summary>
    string ConnectionName { get; }

    /// <summary>Gets how many sends were repeats of a message not confirmed the first time, if the client reports it; otherwise <see langword="null"/>.</summary>
    long? Resent { get; }

    /// <summary>Publishes message number <paramref name="i"/>; returns once it is confirmed, or throws.</summary>
    /// <param name="i">The message number.</param>
    /// <param name="cancellationToken">Cancelled only when a failover run overruns its deadline (a client that never returns).</param>
    Task PublishAsync(int i, CancellationToken cancellationToken = default);
}

/// <summary>
/// The raw RabbitMQ.Client 7: one channel with confirm tracking (BasicPublishAsync completes on the ack), the same
/// recovery interval as RabbitHa, no rate limiter (the workers are the window), the caller handles every exception.
/// </summary>
internal sealed class RawClientContender : IContender
{
    private static readonly byte[] Padding = new byte[256];
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly string _queue;

    private RawClientContender(IConnection connection, IChannel channel, string queue, string name)
    {
        _connection = connection;
        _channel = channel;
        _queue = queue;
        ConnectionName = name;
    }

    public string ConnectionName { get; }

    /// <summary>Gets <see langword="null"/>: the raw client sends each message once; what to do after a failure is the caller's.</summary>
    public long? Resent => null;

    public static async Task<RawClientContender> CreateAsync(Uri uri, string queue)
    {
        var name = "bench-raw-" + Guid.NewGuid().ToString("N")[..8];
        var factory = new ConnectionFactory
        {
            Uri = uri,
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = TimeSpan.Zero,
            RequestedHeartbeat = TimeSpan.FromSeconds(30),
        };
        var connection = await factory.CreateConnectionAsync(name);
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: true,
            publisherConfirmationTrackingEnabled: true,
            outstandingPublisherConfirmationsRateLimiter: null));
        return new RawClientContender(connection, channel, queue, name);
    }

    public async Task PublishAsync(int i, CancellationToken cancellationToken = default)
    {
        var properties = new BasicProperties
        {
            MessageId = MessageIds.ToText(i),
            DeliveryMode = DeliveryModes.Persistent,
        };
        await _channel.BasicPublishAsync(string.Empty, _queue, mandatory: true, properties, Padding, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}

/// <summary>
/// RabbitHa's publisher, driven as its README recommends: many concurrent callers. Its re-sends are read from its metrics,
/// as an application would read them.
/// </summary>
internal sealed class RabbitHaContender : IContender
{
    private static readonly byte[] Padding = new byte[256];
    private readonly ServiceProvider _services;
    private readonly IRabbitHaPublisher _publisher;
    private readonly ResendCounter _resends;
    private readonly string _queue;

    private RabbitHaContender(ServiceProvider services, string queue, IRabbitHaConnection publishing)
    {
        _services = services;
        _publisher = services.GetRequiredService<IRabbitHaPublisher>();
        _resends = new ResendCounter(services.GetRequiredService<IMeterFactory>());
        _queue = queue;
        ConnectionName = publishing.ClientProvidedName;
        Steps = new ConnectionSteps(publishing);
    }

    public string ConnectionName { get; }

    /// <summary>Gets when the publishing connection was lost and recovered: what a failover round's pause is made of.</summary>
    public ConnectionSteps Steps { get; }

    public long? Resent => _resends.Count;

    public static async Task<RabbitHaContender> CreateAsync(Uri uri, string queue, int window)
    {
        var name = "bench-rabbitha-" + Guid.NewGuid().ToString("N")[..8];
        var services = new ServiceCollection()
            .AddLogging(logging => BenchmarkLogging.Configure(logging))
            .AddMetrics() // meters from this container's IMeterFactory: what ResendCounter tells apart from the consumer apps'
            .AddRabbitHa(o =>
            {
                o.Uri = uri.ToString();
                o.ClientProvidedName = name;
            })
            .AddPublisher(o => o.MaxInFlight = window)
            .Services
            .BuildServiceProvider();
        await services.GetRequiredService<IRabbitHaConnection>().ConnectAsync();

        // The publisher runs on its own connection: that is the one whose node a failover run kills.
        IRabbitHaConnection publishing = services.GetRequiredKeyedService<IRabbitHaConnection>(RabbitHaServiceKeys.PublisherConnection);
        await publishing.ConnectAsync();
        return new RabbitHaContender(services, queue, publishing);
    }

    public Task PublishAsync(int i, CancellationToken cancellationToken = default) =>
        _publisher.PublishAsync(string.Empty, _queue, Padding, new BasicProperties { MessageId = MessageIds.ToText(i) }, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        Steps.Dispose();
        await _services.DisposeAsync();
        _resends.Dispose();
    }
}
