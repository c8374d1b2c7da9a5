namespace RabbitHa.Client;

/// <summary>
/// The delays between attempts to resubscribe: <see cref="RabbitHaConsumerOptions.ResubscribeMinDelay"/>
/// first, doubling with each failed attempt in a row up to <see cref="RabbitHaConsumerOptions.ResubscribeMaxDelay"/>,
/// each with ±20 % jitter so that many consumers that lost the same node do not come back in lockstep.
/// </summary>
internal sealed class ResubscribeBackoff
{
    private const double Jitter = 0.2;

    private readonly TimeSpan _min;
    private readonly TimeSpan _max;
    private readonly Func<double> _random;

    /// <remarks><paramref name="random"/> returns a number in [0, 1); tests pass a fixed one.</remarks>
    public ResubscribeBackoff(TimeSpan min, TimeSpan max, Func<double>? random = null)
    {
        _min = min;
        _max = max;
        _random = random ?? Random.Shared.NextDouble;
    }

    /// <summary>Gets how many attempts in a row have been made since the last <see cref="Reset"/>.</summary>
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

    /// <summary>Starts again from the shortest delay, after a subscription that was healthy.</summary>
    public void Reset() => Attempt = 0;
}
