using System.Diagnostics;
using RabbitHa.Client.Internal.Diagnostics;

namespace RabbitHa.Client.Internal.Publishing;

/// <summary>
/// The end: a stop lets publishes in flight finish up to <see cref="RabbitHaPublisherOptions.StopTimeout"/> and fails
/// the rest with <see cref="RabbitHaPublishFailureReason.Stopped"/>; disposal fails what is left with
/// <see cref="ObjectDisposedException"/>. No publish is dropped without its caller hearing of it.
/// </summary>
internal sealed partial class RabbitHaPublisher
{
    // Publishes cut off by a stop or disposal end at once (their tokens are cancelled); this only bounds the wait so
    // that one stuck in RabbitMQ.Client can never hold the host's shutdown.
    private static readonly TimeSpan CutOffGrace = TimeSpan.FromSeconds(5);

    // Stop began: new publishes and those waiting for a slot fail with Stopped.
    private readonly CancellationTokenSource _stopping = new();

    // The stop's wait is over, or the publisher is disposed: publishes in flight end now.
    private readonly CancellationTokenSource _aborting = new();

    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _stopGate = new();
    private Task? _stop;
    private int _active;
    private int _cutOffByStop;
    private int _disposed;

    /// <summary>
    /// Stops publishing, for the host's stop: new publishes and those waiting for a window slot fail at once with
    /// <see cref="RabbitHaPublishFailureReason.Stopped"/>; those in flight get <see cref="RabbitHaPublisherOptions.StopTimeout"/>
    /// (or until <paramref name="cancellationToken"/>) to be confirmed, then fail the same way; then the channels are
    /// released, before the publishing connection closes. Idempotent.
    /// </summary>
    /// <param name="cancellationToken">The host's shutdown token: cuts the wait for confirms short.</param>
    /// <returns>A task that completes when every publish has ended and the channels are closed.</returns>
    internal Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_stopGate)
        {
            return _stop ??= StopCoreAsync(cancellationToken);
        }
    }

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        _logger.PublisherStopping(_window.InFlight, _options.StopTimeout);
        var started = Stopwatch.GetTimestamp();
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (Volatile.Read(ref _active) == 0)
        {
            _drained.TrySetResult();
        }

        // Either way the outcome is read from _drained below: a timeout or the host's token only ends the wait.
        await _drained.Task.WaitAsync(_options.StopTimeout, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_drained.Task.IsCompleted)
        {
            _logger.PublisherStopped();
        }
        else
        {
            await _aborting.CancelAsync().ConfigureAwait(false);
            await _drained.Task.WaitAsync(CutOffGrace, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _logger.PublisherStopCutShort(Volatile.Read(ref _cutOffByStop), Stopwatch.GetElapsedTime(started));
        }

        await _channel.DisposeAsync().ConfigureAwait(false);
        await _isolation.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Fails the publishes still waiting or in flight with <see cref="ObjectDisposedException"/>, and closes the channels.</summary>
    /// <returns>A task that completes when the channels are closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _aborting.CancelAsync().ConfigureAwait(false);
        if (Volatile.Read(ref _active) == 0)
        {
            _drained.TrySetResult();
        }

        await _drained.Task.WaitAsync(CutOffGrace, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _unblocked.Dispose();
        await _channel.DisposeAsync().ConfigureAwait(false);
        await _isolation.DisposeAsync().ConfigureAwait(false);
        if (_drained.Task.IsCompleted)
        {
            // Otherwise a publish stuck past the grace still has a slot to give back.
            _window.Dispose();
        }
    }
}
