namespace RabbitHa.Client;

/// <summary>
/// The delays between attempts to declare again what the broker refused: <see cref="DefaultDelay"/> first, doubling
/// with each attempt up to <see cref="DefaultMaxDelay"/>, each with ±20 % jitter so that many applications that lost
/// the same node do not ask the broker in lockstep.
/// </summary>
/// <remarks>
/// A refusal is fixed by a person (an operator deleting a queue, a deployment changing the options), so the delay grows
/// to a cadence that costs the broker nothing yet notices the fix within half a minute.
/// </remarks>
internal sealed class TopologyRetryBackoff
{
    public static readonly TimeSpan DefaultDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultMaxDelay = TimeSpan.FromSeconds(30);

    private const double Jitter = 0.2;

    private readonly TimeSpan _delay;
    private readonly TimeSpan _maxDelay;
    private readonly Func<double> _random;

    /// <remarks><paramref name="random"/> returns a number in [0, 1); tests pass a fixed one.</remarks>
    public TopologyRetryBackoff(TimeSpan delay, TimeSpan maxDelay, Func<double>? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(delay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDelay, delay);
        _delay = delay;
        _maxDelay = maxDelay;
        _random = random ?? Random.Shared.NextDouble;
    }

    /// <summary>Gets how many delays have been handed out since the last <see cref="Reset"/>.</summary>
    public int Attempt { get; private set; }

    /// <summary>The delay before the next attempt.</summary>
    public TimeSpan Next()
    {
        Attempt++;
        double exponential = _delay.TotalMilliseconds * Math.Pow(2, Math.Min(Attempt - 1, 30));
        double capped = Math.Min(exponential, _maxDelay.TotalMilliseconds);
        double jittered = capped * (1 - Jitter + (2 * Jitter * _random()));
        return TimeSpan.FromMilliseconds(jittered);
    }

    /// <summary>Starts again from the shortest delay: something new was refused, and may be fixed at once.</summary>
    public void Reset() => Attempt = 0;
}
