using Microsoft.Extensions.Logging;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

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

    // Nacks in a row, with no ack between them, after which the channel is replaced: see NoteNackAsync.
    private const int NacksBeforeReplacing = 3;

    // After a replacement for nacks, the next one waits this long, doubled each time up to MaxNackHoldOff, until an ack:
    // a queue that refuses everything (x-overflow reject-publish, full) must not cost a channel every three publishes.
    private static readonly TimeSpan FirstNackHoldOff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxNackHoldOff = TimeSpan.FromSeconds(30);

    private readonly IRabbitHaConnection _connection;
    private readonly ILogger _logger;
    private readonly string _purpose;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _replacing = new(1, 1);
    private readonly object _nackGate = new();
    private IChannel? _channel;
    private bool _disposed;
    private int _opened;
    private int _released;
    private int _nacksInARow;
    private int _nackReplacements;
    private long _nackReplacementAt;

    public PublisherChannel(IRabbitHaConnection connection, ILogger logger, string purpose, TimeProvider? timeProvider = null)
    {
        _connection = connection;
        _logger = logger;
        _purpose = purpose;
        _time = timeProvider ?? TimeProvider.System;
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
            await _connection.ConnectAsync(cancellationToken).ConfigureAwait(false);
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
            Volatile.Write(ref _nacksInARow, 0);
            Volatile.Write(ref _channel, channel);
            return channel;
        }
        finally
        {
            _replacing.Release();
        }
    }

    /// <summary>A publish on <paramref name="channel"/> was confirmed: the nacks before it were the messages', not the channel's.</summary>
    public void NoteAck(IChannel channel)
    {
        // Called for every confirmed publish, from many threads: written only when there is something to reset, so that
        // the common case reads a shared field instead of bouncing its cache line between cores.
        if (ReferenceEquals(channel, Volatile.Read(ref _channel)) && (Volatile.Read(ref _nacksInARow) | Volatile.Read(ref _nackReplacements)) != 0)
        {
            Volatile.Write(ref _nacksInARow, 0);
            Volatile.Write(ref _nackReplacements, 0);
        }
    }

    /// <summary>
    /// A publish on <paramref name="channel"/> was nacked; from the third nack in a row with no ack between them the
    /// channel is closed, and the next send opens a new one (<see cref="GetAsync"/> replaces a channel closed on an open
    /// connection). A channel replaced for nacks is followed by the next replacement only after a hold-off (1 s, doubled
    /// up to 30 s, reset by an ack).
    /// </summary>
    /// <remarks>
    /// Seen in the chaos suite on RabbitMQ 3.10: a channel opened on a node right after the leader of a quorum queue died
    /// on another, before the new leader was elected (0.56 s and 0.60 s after the kill), had every publish to that queue
    /// nacked for a minute, until the dead node was back, though the queue had its new leader 0.6 s after the kill: by all
    /// signs the channel stayed bound to the old leader. A new channel asks for the current one. The messages in flight on
    /// the closed channel are sent again, like after any channel loss. Nacks that a new channel does not end (a full queue
    /// with <c>x-overflow: reject-publish</c>, a quorum queue without a majority) cost one channel per hold-off.
    /// </remarks>
    public async ValueTask NoteNackAsync(IChannel channel)
    {
        if (!ReferenceEquals(channel, Volatile.Read(ref _channel)) || Interlocked.Increment(ref _nacksInARow) < NacksBeforeReplacing)
        {
            return;
        }

        lock (_nackGate)
        {
            var replacements = _nackReplacements;
            if (replacements > 0 && _time.GetElapsedTime(_nackReplacementAt) < HoldOff(replacements))
            {
                return;
            }

            // Only one of the publishes nacked at once closes the channel; the others find it replaced.
            if (!ReferenceEquals(channel, Volatile.Read(ref _channel)) || !channel.IsOpen)
            {
                return;
            }

            _nackReplacements = replacements + 1;
            _nackReplacementAt = _time.GetTimestamp();
        }

        _logger.PublishChannelNackedInARow(_purpose, Volatile.Read(ref _nacksInARow));
        try
        {
            await channel.CloseAsync(Constants.ReplySuccess, "RabbitHa: nacked " + NacksBeforeReplacing + " times in a row, replaced", abort: true).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationInterruptedException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // Closed meanwhile some other way: the next send replaces it all the same.
        }
    }

    private static TimeSpan HoldOff(int replacements)
    {
        var holdOff = FirstNackHoldOff * Math.Pow(2, Math.Min(replacements - 1, 10));
        return holdOff < MaxNackHoldOff ? holdOff : MaxNackHoldOff;
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
