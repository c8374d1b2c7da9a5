using System.Diagnostics;

namespace RabbitHa.Benchmarks;

/// <summary>
/// The interruption a kill caused in a stream of events (confirms, or one consumer's handled messages): the longest gap
/// between two consecutive events that ends after the kill (the gap that spans the kill counts), and when the event that
/// ended it came, counted from the kill. The first event after the kill is not the measure: a confirm or a handled
/// message already on its way when the node died arrives a few milliseconds later and says nothing about recovery.
/// </summary>
internal readonly record struct PauseAfterKill(TimeSpan Pause, TimeSpan? ResumedAfter)
{
    /// <param name="killedAt">The <see cref="Stopwatch"/> timestamp at which the kill (or stop) was requested.</param>
    /// <param name="timestamps">The events' <see cref="Stopwatch"/> timestamps, in any order; 0 for none.</param>
    /// <param name="until">When observation ended: with no event after the kill, the pause lasts until then, and never resumed.</param>
    public static PauseAfterKill Measure(long killedAt, IEnumerable<long> timestamps, long until)
    {
        var sorted = timestamps.Where(t => t > 0).Order().ToArray();
        var first = Array.FindIndex(sorted, t => t > killedAt);
        var after = first < 0 ? sorted.Length : first;

        // From the last event before the kill; with none before it, from the kill itself.
        var previous = after > 0 ? sorted[after - 1] : killedAt;
        long longest = -1;
        long resumedAt = 0;
        for (var i = after; i < sorted.Length; i++)
        {
            if (sorted[i] - previous > longest)
            {
                longest = sorted[i] - previous;
                resumedAt = sorted[i];
            }

            previous = sorted[i];
        }

        return longest < 0
            ? new PauseAfterKill(Stopwatch.GetElapsedTime(previous, Math.Max(until, previous)), null)
            : new PauseAfterKill(Stopwatch.GetElapsedTime(0, longest), Stopwatch.GetElapsedTime(killedAt, resumedAt));
    }
}
