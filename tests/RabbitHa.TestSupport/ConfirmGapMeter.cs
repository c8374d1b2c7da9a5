using System.Diagnostics;

namespace RabbitHa.TestSupport;

/// <summary>
/// The longest time between two consecutive confirms, whoever they belong to: the pause a failover costs the
/// producer. Thread-safe; call <see cref="Tick"/> at every confirm. Shared by the failover tests and the benchmark.
/// </summary>
public sealed class ConfirmGapMeter
{
    private long _last = Stopwatch.GetTimestamp();
    private long _longest;

    public TimeSpan Longest => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _longest));

    public void Tick()
    {
        var now = Stopwatch.GetTimestamp();
        var gap = now - Interlocked.Exchange(ref _last, now);
        long longest;
        while (gap > (longest = Interlocked.Read(ref _longest)) && Interlocked.CompareExchange(ref _longest, gap, longest) != longest)
        {
        }
    }
}
