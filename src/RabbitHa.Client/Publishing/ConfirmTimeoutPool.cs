using System.Collections.Concurrent;

namespace RabbitHa.Client;

/// <summary>
/// Reusable cancellation sources for the confirm timeout of first sends (reset, not reallocated, after each
/// use), so that a publish confirmed at the first send allocates no timer of its own.
/// </summary>
internal sealed class ConfirmTimeoutPool : IDisposable
{
    private readonly ConcurrentQueue<CancellationTokenSource> _sources = new();

    public CancellationTokenSource Rent(TimeSpan timeout)
    {
        var source = _sources.TryDequeue(out var pooled) ? pooled : new CancellationTokenSource();
        source.CancelAfter(timeout);
        return source;
    }

    public void Return(CancellationTokenSource source)
    {
        // A source that fired cannot be reset; it is dropped.
        if (source.TryReset())
        {
            _sources.Enqueue(source);
        }
        else
        {
            source.Dispose();
        }
    }

    public void Dispose()
    {
        while (_sources.TryDequeue(out var source))
        {
            source.Dispose();
        }
    }
}
