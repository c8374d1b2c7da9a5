using Polly.Retry;

namespace RabbitHa.Client.Internal.Resilience;

/// <summary>
/// The one backoff curve of RabbitHa: every pause between two attempts of something the client retries comes from here.
/// The pause before retry <c>n</c> (zero-based) is the shortest delay doubled <c>n</c> times, capped at the longest, then
/// varied by ±20 % at random and kept within the two, so that many clients that lost the same node do not come back in
/// lockstep.
/// </summary>
/// <remarks>
/// <para>
/// Polly's retries (the first connect, a publish's re-sends) take it through <see cref="GenerateDelay"/> as their
/// <see cref="RetryStrategyOptions{TResult}.DelayGenerator"/>: Polly owns those loops, this owns their curve. Loops that
/// are not Polly's keep a count with <see cref="Next"/> and <see cref="Reset"/>: a connection's recovery (RabbitMQ.Client
/// runs that loop and awaits the pause in its recovery-error event), a consumer's resubscribe and a refused declaration.
/// </para>
/// <para><see cref="Delay"/> is stateless, so one instance may serve many executions at once (a pipeline's).</para>
/// </remarks>
internal sealed class JitteredBackoff
{
    private const double Jitter = 0.2;

    // 2^30 times the shortest delay is past any longest one the options allow.
    private const int MaxDoublings = 30;

    private readonly TimeSpan _min;
    private readonly TimeSpan _max;
    private readonly Func<double> _random;

    /// <param name="min">The first pause. Zero makes every pause zero (the publisher allows it: re-send at once).</param>
    /// <param name="max">The longest pause.</param>
    /// <param name="random">Returns a number in [0, 1); tests pass a fixed one.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="min"/> is negative, or <paramref name="max"/> is shorter than it.</exception>
    public JitteredBackoff(TimeSpan min, TimeSpan max, Func<double>? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(min, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, min);
        _min = min;
        _max = max;
        _random = random ?? Random.Shared.NextDouble;
    }

    /// <summary>Gets how many delays <see cref="Next"/> has handed out since the last <see cref="Reset"/>.</summary>
    public int Attempt { get; private set; }

    /// <summary>The pause before a retry.</summary>
    /// <param name="attempt">How many pauses came before this one in a row: 0 for the first (Polly's <c>AttemptNumber</c>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="attempt"/> is negative.</exception>
    public TimeSpan Delay(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        double exponential = _min.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, MaxDoublings));
        double capped = Math.Min(exponential, _max.TotalMilliseconds);
        double jittered = capped * (1 - Jitter + (2 * Jitter * _random()));
        return TimeSpan.FromMilliseconds(Math.Clamp(jittered, _min.TotalMilliseconds, _max.TotalMilliseconds));
    }

    /// <summary>The curve as a Polly <see cref="RetryStrategyOptions{TResult}.DelayGenerator"/>.</summary>
    public ValueTask<TimeSpan?> GenerateDelay(RetryDelayGeneratorArguments<object> args) => new(Delay(args.AttemptNumber));

    /// <summary>The pause before the next attempt of a loop that counts its own: <see cref="Delay"/> of <see cref="Attempt"/>, which it then counts.</summary>
    public TimeSpan Next()
    {
        TimeSpan delay = Delay(Attempt);
        if (Attempt < int.MaxValue)
        {
            Attempt++;
        }

        return delay;
    }

    /// <summary>Starts again from the shortest delay: the last attempt went well, or something new needs trying at once.</summary>
    public void Reset() => Attempt = 0;
}
