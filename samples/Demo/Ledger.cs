using System.Diagnostics;

namespace RabbitHa.Demo;

/// <summary>
/// What happened to every order: published, confirmed, handled how often and by whom, and when. The
/// timestamps give the pauses around the failover: the longest silence in confirms or in handling after the kill.
/// </summary>
public sealed class Ledger(int count, int consumers)
{
    private readonly int[] _handled = new int[count];
    private readonly bool[] _confirmed = new bool[count];
    private readonly List<long> _confirmTimes = new(count);
    private readonly List<long>[] _handleTimes = [.. Enumerable.Range(0, consumers).Select(_ => new List<long>(count))];
    private int _published;
    private int _confirmedCount;
    private int _failed;
    private int _handledCount;
    private int _resent;

    public int Published => Volatile.Read(ref _published);

    public int Confirmed => Volatile.Read(ref _confirmedCount);

    public int Failed => Volatile.Read(ref _failed);

    public int HandledCount => Volatile.Read(ref _handledCount);

    /// <summary>Gets how many deliveries carried the publisher's re-sent mark (x-rabbitha-resent).</summary>
    public int MarkedResent => Volatile.Read(ref _resent);

    public int Distinct => _handled.Count(n => n > 0);

    public int Duplicates => HandledCount - Distinct;

    /// <summary>Gets the orders the broker confirmed that no consumer handled.</summary>
    public int Lost => Enumerable.Range(0, count).Count(i => Volatile.Read(ref _confirmed[i]) && Volatile.Read(ref _handled[i]) == 0);

    public bool AllConfirmedHandled => Lost == 0;

    /// <summary>Gets how many deliveries one consumer handled.</summary>
    public int HandledBy(int consumer)
    {
        lock (_handleTimes[consumer])
        {
            return _handleTimes[consumer].Count;
        }
    }

    public void PublishStarted() => Interlocked.Increment(ref _published);

    public void PublishFailed() => Interlocked.Increment(ref _failed);

    public void PublishConfirmed(int number)
    {
        Volatile.Write(ref _confirmed[number], true);
        Interlocked.Increment(ref _confirmedCount);
        Record(_confirmTimes);
    }

    public void Handled(int number, int consumer, bool resent)
    {
        Interlocked.Increment(ref _handled[number]);
        Interlocked.Increment(ref _handledCount);
        if (resent)
        {
            Interlocked.Increment(ref _resent);
        }

        Record(_handleTimes[consumer]);
    }

    /// <summary>
    /// The longest silence in confirms that began within <paramref name="window"/> after <paramref name="since"/>
    /// (counted from <paramref name="since"/> at the earliest), and how long after <paramref name="since"/> it ended.
    /// </summary>
    public (TimeSpan Pause, TimeSpan ResumedAfter)? ConfirmPauseAfter(long since, TimeSpan window) => PauseAfter(Snapshot(_confirmTimes), since, window);

    /// <summary>The same for handling: all consumers together, or one.</summary>
    public (TimeSpan Pause, TimeSpan ResumedAfter)? HandlePauseAfter(long since, TimeSpan window, int? consumer = null) =>
        PauseAfter(consumer is { } c ? Snapshot(_handleTimes[c]) : [.. _handleTimes.SelectMany(Snapshot).Order()], since, window);

    private static void Record(List<long> times)
    {
        long now = Stopwatch.GetTimestamp();
        lock (times)
        {
            times.Add(now);
        }
    }

    private static long[] Snapshot(List<long> times)
    {
        lock (times)
        {
            return [.. times];
        }
    }

    private static (TimeSpan Pause, TimeSpan ResumedAfter)? PauseAfter(long[] times, long since, TimeSpan window)
    {
        long until = since + (long)(window.TotalSeconds * Stopwatch.Frequency);
        (long Start, long End)? longest = null;
        for (int i = 1; i < times.Length; i++)
        {
            long start = Math.Max(times[i - 1], since);
            if (times[i] <= since || start >= until)
            {
                continue;
            }

            if (longest is null || times[i] - start > longest.Value.End - longest.Value.Start)
            {
                longest = (start, times[i]);
            }
        }

        return longest is { } l ? (Stopwatch.GetElapsedTime(l.Start, l.End), Stopwatch.GetElapsedTime(since, l.End)) : null;
    }
}
