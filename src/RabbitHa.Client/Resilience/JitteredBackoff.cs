namespace RabbitHa.Client.Internal.Resilience;

/// <summary>
/// Delays between attempts that RabbitHa repeats on its own (resubscribing a consumer, declaring again what the broker
/// refused): the shortest delay first, doubling with each attempt in a row up to the longest, each with ±20 % jitter
/// (kept within the two) so that many clients that lost the same node do not come back in lockstep.
/// </summary>
internal sealed class JitteredBackoff
{
    private const double Jitter = 0.2;

    private readonly TimeSpan _min;
    private readonly TimeSpan _max;
    private readonly Func<double> _random;

    /// <remarks><paramref name="random"/> returns a number in [0, 1); tests pass a fixed one.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="min"/> is not positive, or <paramref name="max"/> is shorter than it.</exception>
    public JitteredBackoff(TimeSpan min, TimeSpan max, Func<double>? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(min, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, min);
        _min = min;
        _max = max;
        _random = random ?? Random.Shared.NextDouble;
    }

    /// <summary>Gets how many delays have been handed out since the last <see cref="Reset"/>.</summary>
    public int Attempt { get; private set; }

    /// <summary>The delay before the next attempt.</summary>
    public TimeSpan Next()
    {
        Attempt++;
        double exponential = _min.TotalMilliseconds * Math.Pow(2, Math.Min(Attempt - 1, 30));
        double capped = Math.Min(exponential, _max.TotalMilliseconds);
        double jittered = capped * (1 - Jitter + (2 * Jitter * _random()));
        return TimeSpan.FromMilliseconds(Math.Clamp(jittered, _min.TotalMilliseconds, _max.TotalMilliseconds));
    }

    /// <summary>Starts again from the shortest delay: the last attempt went well, or something new needs trying at once.</summary>
    public void Reset() => Attempt = 0;
}
