using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using RabbitHa.Client;
using RabbitMQ.Client;

namespace RabbitHa.Benchmarks;

/// <summary>A publisher under test: something that publishes message number <c>i</c> and returns once it is confirmed.</summary>
internal interface IContender : IAsyncDisposable
{
    string ConnectionName { get; }

    Task PublishAsync(int i);
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

    public static async Task<RawClientContender> CreateAsync(Uri uri, string queue)
    {
        var name = "bench-raw-" + Guid.NewGuid().ToString("N")[..8];
        var factory = new ConnectionFactory
        {
            Uri = uri,
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = TimeSpan.FromMilliseconds(500),
            RequestedHeartbeat = TimeSpan.FromSeconds(30),
        };
        var connection = await factory.CreateConnectionAsync(name);
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: true,
            publisherConfirmationTrackingEnabled: true,
            outstandingPublisherConfirmationsRateLimiter: null));
        return new RawClientContender(connection, channel, queue, name);
    }

    public async Task PublishAsync(int i)
    {
        var properties = new BasicProperties
        {
            MessageId = i.ToString(CultureInfo.InvariantCulture),
            DeliveryMode = DeliveryModes.Persistent,
        };
        await _channel.BasicPublishAsync(string.Empty, _queue, mandatory: true, properties, Padding);
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}

/// <summary>RabbitHa's publisher, driven as its README recommends: many concurrent callers.</summary>
internal sealed class RabbitHaContender : IContender
{
    private static readonly byte[] Padding = new byte[256];
    private readonly ServiceProvider _services;
    private readonly IRabbitHaPublisher _publisher;
    private readonly string _queue;

    private RabbitHaContender(ServiceProvider services, string queue, string name)
    {
        _services = services;
        _publisher = services.GetRequiredService<IRabbitHaPublisher>();
        _queue = queue;
        ConnectionName = name;
    }

    public string ConnectionName { get; }

    public static async Task<RabbitHaContender> CreateAsync(Uri uri, string queue, int window)
    {
        var name = "bench-rabbitha-" + Guid.NewGuid().ToString("N")[..8];
        var services = new ServiceCollection()
            .AddLogging()
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
        return new RabbitHaContender(services, queue, publishing.ClientProvidedName);
    }

    public Task PublishAsync(int i) =>
        _publisher.PublishAsync(string.Empty, _queue, Padding, new BasicProperties { MessageId = i.ToString(CultureInfo.InvariantCulture) });

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
