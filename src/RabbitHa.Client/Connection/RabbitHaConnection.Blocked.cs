using System.Diagnostics;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitMQ.Client.Events;

namespace RabbitHa.Client.Internal.Connection;

// A blocked connection is not a state of its own: it can be Open and blocked, and a loss or a close ends the block. Its
// start, end and duration are kept apart from the state machine so that every path that ends it reports it the same way.
internal sealed partial class RabbitHaConnection
{
    /// <inheritdoc/>
    public bool IsBlocked => BlockedReason is not null;

    /// <inheritdoc/>
    public string? BlockedReason
    {
        get
        {
            lock (_gate)
            {
                return _blockedReason;
            }
        }
    }

    private Task OnBlockedAsync(object sender, ConnectionBlockedEventArgs e)
    {
        lock (_gate)
        {
            if (_state == RabbitHaConnectionState.Closed)
            {
                return Task.CompletedTask;
            }

            if (_blockedReason is null)
            {
                _blockedSince = Stopwatch.GetTimestamp();
            }

            _blockedReason = e.Reason;
            _events.Post(Blocked, new RabbitHaConnectionBlockedEventArgs(e.Reason), nameof(Blocked));
        }

        _logger.ConnectionBlocked(ClientProvidedName, e.Reason);
        return Task.CompletedTask;
    }

    private Task OnUnblockedAsync(object sender, AsyncEventArgs e)
    {
        TimeSpan? blockedFor;
        lock (_gate)
        {
            blockedFor = EndBlockedLocked();
            PostUnblockedLocked(blockedFor);
        }

        ReportUnblocked(blockedFor);
        return Task.CompletedTask;
    }

    /// <summary>Ends a block, returning how long it lasted, or <see langword="null"/> if there was none.</summary>
    private TimeSpan? EndBlockedLocked()
    {
        if (_blockedReason is null)
        {
            return null;
        }

        _blockedReason = null;
        return Stopwatch.GetElapsedTime(_blockedSince);
    }

    /// <summary>Posts <see cref="Unblocked"/> for a block that <see cref="EndBlockedLocked"/> ended; in the same lock.</summary>
    private void PostUnblockedLocked(TimeSpan? blockedFor)
    {
        if (blockedFor is { } duration)
        {
            _events.Post(Unblocked, new RabbitHaConnectionUnblockedEventArgs(duration), nameof(Unblocked));
        }
    }

    /// <summary>Counts and logs a block that <see cref="EndBlockedLocked"/> ended (its event is posted under the lock).</summary>
    private void ReportUnblocked(TimeSpan? blockedFor)
    {
        if (blockedFor is not { } duration)
        {
            return;
        }

        _metrics.BlockedFor(duration, ClientProvidedName);
        _logger.ConnectionUnblocked(ClientProvidedName, duration);
    }
}
