namespace RabbitHa.Client.Internal.Consuming;

/// <summary>
/// Counts the deliveries being processed on one subscription, so that closing it can stop taking deliveries and wait
/// for the running ones: their acknowledgements need the channel still open. A handler given up on (hung) no longer
/// counts here once its message is settled; its slot (<see cref="HandlerSlots"/>) still does.
/// </summary>
internal sealed class InFlightTracker
{
    private readonly object _gate = new();
    private int _count;
    private bool _closed;
    private TaskCompletionSource? _idle;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>Counts a delivery in, unless <see cref="StopAccepting"/> was called.</summary>
    /// <returns><see langword="false"/> when the delivery must be left alone (the broker requeues it when the channel closes).</returns>
    public bool TryEnter()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return false;
            }

            _count++;
            return true;
        }
    }

    public void Exit()
    {
        TaskCompletionSource? idle = null;
        lock (_gate)
        {
            _count--;
            if (_count == 0)
            {
                idle = _idle;
                _idle = null;
            }
        }

        idle?.TrySetResult();
    }

    /// <summary>From now on <see cref="TryEnter"/> refuses deliveries.</summary>
    public void StopAccepting()
    {
        lock (_gate)
        {
            _closed = true;
        }
    }

    /// <summary>Waits until no handler runs.</summary>
    /// <returns><see langword="false"/> if handlers still run after <paramref name="timeout"/> or when <paramref name="cancellationToken"/> fires.</returns>
    public async Task<bool> WaitIdleAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task idle;
        lock (_gate)
        {
            if (_count == 0)
            {
                return true;
            }

            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            idle = _idle.Task;
        }

        try
        {
            await idle.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
