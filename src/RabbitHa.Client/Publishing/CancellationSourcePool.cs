using System.Collections.Concurrent;

namespace RabbitHa.Client.Internal.Publishing;

/// <summary>
/// Reusable cancellation sources for the time limits of publishes (reset, not reallocated, after each use), so that a
/// publish confirmed at its first send allocates no source or timer of its own.
/// </summary>
internal sealed class CancellationSourcePool : IDisposable
{
    private readonly ConcurrentQueue<CancellationTokenSource> _sources = new();

    public CancellationTokenSource Rent() => _sources.TryDequeue(out var pooled) ? pooled : new CancellationTokenSource();

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
