using System.Runtime.CompilerServices;

namespace RabbitHa.Client.Internal.Publishing;

/// <summary>
/// The publisher's window: at most <see cref="RabbitHaPublisherOptions.MaxInFlight"/> publishes hold a slot until
/// they are confirmed or fail, and at most <see cref="RabbitHaPublisherOptions.MaxWaitingPublishes"/> more wait for
/// one, in arrival order. Beyond that a caller is turned away at once: waiting callers hold their bodies, and while
/// the cluster is unreachable nothing frees a slot.
/// </summary>
internal sealed class PublishWindow : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly int _capacity;
    private readonly int _maxWaiting;
    private int _waiting;

    public PublishWindow(int capacity, int maxWaiting)
    {
        _capacity = capacity;
        _maxWaiting = maxWaiting;
        _slots = new SemaphoreSlim(capacity, capacity);
    }

    public int InFlight => _capacity - _slots.CurrentCount;

    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Takes a free slot without waiting.</summary>
    public bool TryEnter() => _slots.Wait(0);

    /// <summary>Waits for a slot, unless too many callers wait already.</summary>
    /// <returns><see langword="false"/> when the caller was turned away; <see langword="true"/> once it holds a slot.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired first.</exception>
    /// <remarks>
    /// While the window is full every publish waits here, so the state machine is pooled: await the result once, or
    /// turn it into a task once (<see cref="ValueTask{TResult}.AsTask"/>), never both nor twice.
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> EnterAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _waiting) > _maxWaiting)
        {
            Interlocked.Decrement(ref _waiting);
            return false;
        }

        try
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    public void Exit() => _slots.Release();

    /// <summary>Disposes the semaphore; only once no publish holds a slot (<see cref="Exit"/> would throw afterwards).</summary>
    public void Dispose() => _slots.Dispose();
}
