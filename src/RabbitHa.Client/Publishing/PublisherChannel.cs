using Microsoft.Extensions.Logging;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitMQ.Client;

namespace RabbitHa.Client.Internal.Publishing;

/// <summary>
/// One of the publisher's channels, with publisher confirms tracked by RabbitMQ.Client. RabbitMQ.Client brings it
/// back with the connection after a failover; this replaces it when the broker closed it for good (a channel-level
/// error such as publishing to a missing exchange), and releases the closed one.
/// </summary>
internal sealed class PublisherChannel : IAsyncDisposable
{
    // Confirms tracked by the client (BasicPublishAsync completes on ack), and no rate limiter of the client's:
    // RabbitHaPublisher's own window bounds the publishes in flight, including their retries.
    private static readonly CreateChannelOptions Options = new(
        publisherConfirmationsEnabled: true,
        publisherConfirmationTrackingEnabled: true,
        outstandingPublisherConfirmationsRateLimiter: null);

    private static readonly CancellationToken AlreadyCancelled = new(canceled: true);

    private readonly IRabbitHaConnection _connection;
    private readonly ILogger _logger;
    private readonly string _purpose;
    private readonly SemaphoreSlim _replacing = new(1, 1);
    private IChannel? _channel;
    private bool _disposed;
    private int _opened;
    private int _released;

    public PublisherChannel(IRabbitHaConnection connection, ILogger logger, string purpose)
    {
        _connection = connection;
        _logger = logger;
        _purpose = purpose;
    }

    /// <summary>Gets how many channels this has opened and not released yet.</summary>
    public int Held => Volatile.Read(ref _opened) - Volatile.Read(ref _released);

    /// <summary>Gets how many channels this has opened in all.</summary>
    public int Opened => Volatile.Read(ref _opened);

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
                Volatile.Write(ref _channel, null);
                var reason = channel.CloseReason;
                await ReleaseAsync(channel).ConfigureAwait(false);
                _logger.PublishChannelReplaced(_purpose, reason?.ReplyCode ?? 0, reason?.ReplyText ?? "unknown", Held);
            }

            channel = await _connection.CreateChannelAsync(Options, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _opened);
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
            if (_channel is { } channel)
            {
                _channel = null;
                await ReleaseAsync(channel).ConfigureAwait(false);
            }
        }
        finally
        {
            _replacing.Release();
        }
    }

    private async ValueTask ReleaseAsync(IChannel channel)
    {
        if (!channel.IsOpen)
        {
            // RabbitMQ.Client's connection keeps every channel in a list to recover, and forgets one only in the
            // finally block of its CloseAsync; its DisposeAsync skips CloseAsync for a channel that is closed already.
            // Disposed alone, each channel the broker closed would stay in that list, with its buffers, until the
            // connection's next recovery. A closed channel has nothing left to say to the broker: the close is asked
            // with a token cancelled in advance, so it returns at once, the channel forgotten.
            try
            {
                await channel.AbortAsync(AlreadyCancelled).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The cancellation asked for above.
            }
        }

        await channel.DisposeAsync().ConfigureAwait(false);
        Interlocked.Increment(ref _released);
    }
}
