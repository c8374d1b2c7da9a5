namespace RabbitHa.Client.Internal.Consuming;

/// <summary>
/// One of a consumer's <see cref="HandlerSlots"/>, held for one delivery. It goes back to the pool when both are over:
/// the processing of the delivery (<see cref="Release"/>) and the handler it ran, if any (<see cref="Run"/>).
/// </summary>
internal sealed class HandlerSlot
{
    private readonly HandlerSlots _slots;

    /// <summary>The processing holds the slot from the start; a running handler adds a hold of its own.</summary>
    private int _holds = 1;
    private int _released;
    private volatile bool _abandoned;

    internal HandlerSlot(HandlerSlots slots)
    {
        _slots = slots;
    }

    public string? MessageId { get; private set; }

    public ulong DeliveryTag { get; private set; }

    /// <summary>Gets when the handler started, as a timestamp of the consumer's <see cref="TimeProvider"/>.</summary>
    public long StartedAt { get; private set; }

    /// <summary>Gets the handler's task, once it runs.</summary>
    public Task? Handler { get; private set; }

    /// <summary>Gets a value indicating whether the consumer stopped waiting for the handler: it ignored its cancellation.</summary>
    public bool Abandoned => _abandoned;

    /// <summary>Records the handler running in this slot; the slot is not free before it returns, whatever happens to its message.</summary>
    public void Run(string? messageId, ulong deliveryTag, long startedAt, Task handler)
    {
        MessageId = messageId;
        DeliveryTag = deliveryTag;
        StartedAt = startedAt;
        Handler = handler;
        Interlocked.Increment(ref _holds);
        _slots.Running(this);
        _ = handler.ContinueWith(static (_, state) => ((HandlerSlot)state!).Drop(), this,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Marks the handler as given up on: it still runs, and keeps the slot.</summary>
    public void Abandon() => _abandoned = true;

    /// <summary>Ends the processing's hold; once only, whoever calls it.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            Drop();
        }
    }

    private void Drop()
    {
        if (Interlocked.Decrement(ref _holds) == 0)
        {
            _slots.Return(this);
        }
    }
}
