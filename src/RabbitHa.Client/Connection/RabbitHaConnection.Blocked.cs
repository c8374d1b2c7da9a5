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
        }

        _logger.ConnectionBlocked(ClientProvidedName, e.Reason);
        Raise(Blocked, e, nameof(Blocked));
        return Task.CompletedTask;
    }

    private Task OnUnblockedAsync(object sender, AsyncEventArgs e)
    {
        TimeSpan? blockedFor;
        lock (_gate)
        {
            blockedFor = EndBlockedLocked();
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

    private void ReportUnblocked(TimeSpan? blockedFor)
    {
        if (blockedFor is not { } duration)
        {
            return;
        }

        _metrics.BlockedFor(duration, ClientProvidedName);
        _logger.ConnectionUnblocked(ClientProvidedName, duration);
        Raise(Unblocked, nameof(Unblocked));
    }
}
