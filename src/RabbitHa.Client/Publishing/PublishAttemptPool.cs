using System.Collections.Concurrent;
using System.Diagnostics;

namespace RabbitHa.Client.Internal.Publishing;

/// <summary>
/// One publisher's <see cref="PublishAttempt"/>s, reused: a publish takes one at its call and gives it back once it has
/// ended (<c>RabbitHaPublisher.Leave</c>), so that a publish allocates neither the attempt nor its cancellation (a
/// source and a timer): 210 bytes per message, measured without a broker.
/// </summary>
/// <remarks>
/// At most <c>capacity</c> attempts are kept, the window's size: about what a steady stream of publishes holds at once.
/// Beyond it a returned attempt is left to the garbage collector; having ended, its source holds no timer and no
/// registration, so nothing is lost by not disposing it.
/// </remarks>
internal sealed class PublishAttemptPool
{
    private readonly ConcurrentQueue<PublishAttempt> _attempts = new();
    private readonly RabbitHaPublisher _publisher;
    private readonly CancellationToken _publisherToken;
    private readonly int _capacity;
    private int _count;

    public PublishAttemptPool(RabbitHaPublisher publisher, int capacity, CancellationToken publisherToken)
    {
        _publisher = publisher;
        _publisherToken = publisherToken;
        _capacity = capacity;
    }

    /// <summary>Gets how many attempts wait to be reused; for tests.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>An attempt to <see cref="PublishAttempt.Begin"/>: a pooled one, or a new one.</summary>
    public PublishAttempt Rent()
    {
        if (_attempts.TryDequeue(out var attempt))
        {
            Interlocked.Decrement(ref _count);
            attempt.Pooled = false;
            return attempt;
        }

        return new PublishAttempt(_publisher, _publisherToken);
    }

    /// <summary>Keeps <paramref name="attempt"/> for a later publish; only once its publish has ended and nothing reads it any more.</summary>
    public void Return(PublishAttempt attempt)
    {
        // Given back twice, one attempt would carry two messages at once.
        Debug.Assert(!attempt.Pooled, "An attempt was returned to the pool twice.");
        if (attempt.Pooled)
        {
            return;
        }

        attempt.Clear();
        if (Interlocked.Increment(ref _count) > _capacity)
        {
            Interlocked.Decrement(ref _count);
            return;
        }

        attempt.Pooled = true;
        _attempts.Enqueue(attempt);
    }
}
