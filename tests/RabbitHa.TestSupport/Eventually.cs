using System.Diagnostics;

namespace RabbitHa.TestSupport;

/// <summary>
/// Polls a condition that the cluster or the client reaches by itself, with a deadline that fails the test.
/// </summary>
public static class Eventually
{
    public static async Task<TimeSpan> HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Not reached within {timeout.TotalSeconds:F0} s: {what}");
            }

            await Task.Delay(100, cancellationToken);
        }

        return clock.Elapsed;
    }

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
}
