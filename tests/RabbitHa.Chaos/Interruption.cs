using System.Diagnostics;
using System.Globalization;

namespace RabbitHa.Chaos;

/// <summary>
/// How a flow of events (confirms, or one consumer's handlings) was interrupted by a fault: the longest pause after
/// it, and how long after the fault the flow resumed (the end of that pause).
/// </summary>
/// <param name="Pause">The longest time between two events (the fault counting as the first) after the fault.</param>
/// <param name="Resume">From the fault to the first event after that pause.</param>
internal readonly record struct Interruption(TimeSpan Pause, TimeSpan Resume)
{
    /// <summary>
    /// Shorter pauses are the ordinary jitter of a steady flow on a loaded two-core machine (up to ~150 ms seen with no
    /// fault at all), not an interruption: a fault that causes none is reported as no interruption.
    /// </summary>
    public static readonly TimeSpan Threshold = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Measures the interruption of a flow by faults injected at <paramref name="faults"/> (a scenario with several
    /// steps, such as a rolling restart, marks each): for each step, the longest pause that starts after it and before
    /// the next step, and the first event after that pause; over the steps whose pause reached <see cref="Threshold"/>,
    /// the longest pause and the latest resume, each counted from its own step.
    /// </summary>
    /// <returns>The interruption, or <see langword="null"/> if no pause reached <see cref="Threshold"/>.</returns>
    public static Interruption? Measure(IReadOnlyList<long> faults, long until, IEnumerable<long> timestamps)
    {
        long[] events = timestamps.Where(t => t <= until).Order().ToArray();
        TimeSpan pause = TimeSpan.Zero;
        TimeSpan resume = TimeSpan.Zero;
        for (int i = 0; i < faults.Count; i++)
        {
            long start = faults[i];
            long end = i + 1 < faults.Count ? faults[i + 1] : until;
            long previous = start;
            TimeSpan longest = TimeSpan.Zero;
            TimeSpan resumedAt = TimeSpan.Zero;
            foreach (long t in events.Where(t => t > start))
            {
                if (previous >= end)
                {
                    break;
                }

                TimeSpan gap = Stopwatch.GetElapsedTime(previous, t);
                if (gap > longest)
                {
                    longest = gap;
                    resumedAt = Stopwatch.GetElapsedTime(start, t);
                }

                previous = t;
            }

            if (longest >= Threshold)
            {
                pause = longest > pause ? longest : pause;
                resume = resumedAt > resume ? resumedAt : resume;
            }
        }

        return pause == TimeSpan.Zero ? null : new Interruption(pause, resume);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"paused {Pause.TotalMilliseconds:F0} ms, resumed after {Resume.TotalMilliseconds:F0} ms");
}
