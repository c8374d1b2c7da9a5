using System.Diagnostics;

namespace RabbitHa.TestSupport;

/// <summary>
/// Polls a condition that the cluster or the client reaches by itself, with a deadline that fails the test.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan s_inProcessTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_inProcessInterval = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Like <see cref="HoldsAsync(Func{Task{bool}}, TimeSpan, string, CancellationToken)"/>, for a condition that only
    /// reads memory (a counter, a flag a background task sets): asked every 10 ms, for <paramref name="timeout"/>
    /// (10 s unless given). The unit tests' wait.
    /// </summary>
    public static async Task HoldsAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        TimeSpan limit = timeout ?? s_inProcessTimeout;
        _ = await ReachedWithinAsync(() => Task.FromResult(condition()), limit, s_inProcessInterval, CancellationToken.None)
            ?? throw new TimeoutException($"Not reached within {limit.TotalSeconds:F0} s: {what}");
    }

    public static Task<TimeSpan> HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, CancellationToken cancellationToken = default) =>
        HoldsAsync(condition, timeout, () => what, cancellationToken);

    /// <summary>Like <see cref="HoldsAsync(Func{Task{bool}}, TimeSpan, string, CancellationToken)"/>, with what failed described at the deadline, not before the wait.</summary>
    public static async Task<TimeSpan> HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(what);
        return await ReachedWithinAsync(condition, timeout, cancellationToken)
            ?? throw new TimeoutException($"Not reached within {timeout.TotalSeconds:F0} s: {what()}");
    }

    /// <summary>How long until <paramref name="condition"/> held, or <see langword="null"/> when it did not within <paramref name="timeout"/>.</summary>
    public static Task<TimeSpan?> ReachedWithinAsync(Func<Task<bool>> condition, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        ReachedWithinAsync(condition, timeout, s_interval, cancellationToken);

    /// <summary>Like <see cref="HoldsAsync"/>, for a condition that asks the cluster and may fail while it is broken (a partition).</summary>
    public static Task<TimeSpan> HoldsDespiteErrorsAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return HoldsAsync(async () =>
        {
            try
            {
                return await condition();
            }
            catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, timeout, what, cancellationToken);
    }

    private static async Task<TimeSpan?> ReachedWithinAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan interval, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                return null;
            }

            await Task.Delay(interval, cancellationToken);
        }

        return clock.Elapsed;
    }
}
