namespace RabbitHa.Client.Internal.Consuming;

/// <summary>
/// The bound of <see cref="RabbitHaConsumerOptions.Concurrency"/>: one consumer, across all its subscriptions, never runs
/// more handlers at once. A slot is taken before a delivery is processed and given back once the processing is over
/// <em>and</em> the handler has returned, so a handler that ignores its cancellation keeps its slot after it was
/// abandoned, and a new subscription (after a failover) runs with the slots that are left.
/// </summary>
/// <remarks>
/// Strict rather than generous: the bound is often what protects what handlers call (a database's connections), and a
/// hung handler still holds whatever it was using. A slot per abandoned handler would also let a dependency that hangs
/// every call pile up handlers without end.
/// </remarks>
#pragma warning disable CA1001 // The semaphore lives as long as the consumer, and without its wait handle (never asked for) holds nothing to release.
internal sealed class HandlerSlots
#pragma warning restore CA1001
{
    private readonly SemaphoreSlim _free;
    private readonly object _gate = new();
    private readonly HashSet<HandlerSlot> _running = [];

    public HandlerSlots(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _free = new SemaphoreSlim(capacity, capacity);
    }

    public int Capacity { get; }

    /// <summary>Gets how many slots are free right now.</summary>
    public int Free => _free.CurrentCount;

    /// <summary>Waits for a free slot.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public async Task<HandlerSlot> AcquireAsync(CancellationToken cancellationToken)
    {
        await _free.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new HandlerSlot(this);
    }

    /// <summary>
    /// Finds a handler of this consumer running on a message with this id (a duplicate, or the redelivery of a message
    /// whose handler was abandoned).
    /// </summary>
    /// <returns>A task that completes when that handler returns, or <see langword="null"/> when none runs (or the message has no id).</returns>
    public Task? FindRunning(string? messageId)
    {
        if (string.IsNullOrEmpty(messageId))
        {
            return null;
        }

        lock (_gate)
        {
            foreach (HandlerSlot slot in _running)
            {
                if (string.Equals(slot.MessageId, messageId, StringComparison.Ordinal))
                {
                    return slot.Handler;
                }
            }
        }

        return null;
    }

    /// <summary>Gets the handlers that were abandoned (they ignored their cancellation) and still run, longest first.</summary>
    public IReadOnlyList<ConsumerStatus.HungHandler> Hung(long now, TimeProvider timeProvider)
    {
        lock (_gate)
        {
            return _running
                .Where(static slot => slot.Abandoned)
                .Select(slot => new ConsumerStatus.HungHandler(slot.MessageId, timeProvider.GetElapsedTime(slot.StartedAt, now)))
                .OrderByDescending(static hung => hung.Running)
                .ToArray();
        }
    }

    internal void Running(HandlerSlot slot)
    {
        lock (_gate)
        {
            _running.Add(slot);
        }
    }

    internal void Return(HandlerSlot slot)
    {
        lock (_gate)
        {
            _running.Remove(slot);
        }

        _free.Release();
    }
}
