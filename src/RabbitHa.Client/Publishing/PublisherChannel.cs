using RabbitMQ.Client;

namespace RabbitHa.Client;

/// <summary>
/// The publisher's one channel, with publisher confirms tracked by RabbitMQ.Client. RabbitMQ.Client brings
/// it back with the connection after a failover; this replaces it when the broker closed it for good (a
/// channel-level error such as publishing to a missing exchange).
/// </summary>
internal sealed class PublisherChannel : IAsyncDisposable
{
    // Confirms tracked by the client (BasicPublishAsync completes on ack), and no rate limiter of the client's:
    // RabbitHaPublisher's own window bounds the publishes in flight, including their retries.
    private static readonly CreateChannelOptions Options = new(
        publisherConfirmationsEnabled: true,
        publisherConfirmationTrackingEnabled: true,
        outstandingPublisherConfirmationsRateLimiter: null);

    private readonly IRabbitHaConnection _connection;
    private readonly SemaphoreSlim _replacing = new(1, 1);
    private IChannel? _channel;
    private bool _disposed;

    public PublisherChannel(IRabbitHaConnection connection)
    {
        _connection = connection;
    }

    /// <summary>Returns an open channel: the current one, or a new one once the connection is open again.</summary>
    public async ValueTask<IChannel> GetAsync(CancellationToken cancellationToken)
    {
        var channel = Volatile.Read(ref _channel);
        if (channel is { IsOpen: true })
        {
            return channel;
        }

        await _replacing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            channel = _channel;
            if (channel is { IsOpen: true })
            {
                return channel;
            }

            // Closed because the connection is recovering: it comes back with the connection.
            await _connection.WaitUntilOpenAsync(cancellationToken).ConfigureAwait(false);
            if (channel is { IsOpen: true })
            {
                return channel;
            }

            // Still closed on an open connection: the broker closed this channel for good.
            if (channel is not null)
            {
                await channel.DisposeAsync().ConfigureAwait(false);
            }

            channel = await _connection.CreateChannelAsync(Options, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _channel, channel);
            return channel;
        }
        finally
        {
            _replacing.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _replacing.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_channel is not null)
            {
                await _channel.DisposeAsync().ConfigureAwait(false);
                _channel = null;
            }
        }
        finally
        {
            _replacing.Release();
        }
    }
}
