using System.Collections.Concurrent;
using System.Diagnostics;

namespace RabbitHa.Benchmarks;

/// <summary>
/// Drives one publisher the same way for every contender: <c>window</c> workers take message numbers from a
/// shared counter and await one publish each, so at most <c>window</c> publishes wait for a confirm at once.
/// </summary>
internal static class PublishRun
{
    public static async Task<RunResult> RunAsync(
        string name,
        int messages,
        int window,
        Func<int, CancellationToken, Task> publish,
        Func<int, Task>? onMessage = null,
        CancellationToken cancellationToken = default)
    {
        var latencies = new double[messages];
        var confirmedAt = new long[messages];
        var exceptionTypes = new ConcurrentDictionary<string, int>();
        var confirmed = new ConcurrentBag<int>();
        var failures = 0;
        var pauses = new ConfirmGapMeter();
        var next = -1;
        using var memory = new MemorySampler();
        GC.Collect();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();

        var workers = Enumerable.Range(0, window).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < messages)
            {
                if (onMessage is not null)
                {
                    await onMessage(i);
                }

                var started = Stopwatch.GetTimestamp();
                try
                {
                    await publish(i, cancellationToken);
                    confirmedAt[i] = Stopwatch.GetTimestamp();
                    latencies[i] = Stopwatch.GetElapsedTime(started, confirmedAt[i]).TotalMilliseconds;
                    confirmed.Add(i);
                    pauses.Tick();
                }
#pragma warning disable CA1031 // Counting what a client throws at its caller is the measurement.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    latencies[i] = double.NaN;
                    Interlocked.Increment(ref failures);
                    exceptionTypes.AddOrUpdate(ex.GetType().Name, 1, (_, n) => n + 1);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        clock.Stop();
        var endedAt = Stopwatch.GetTimestamp();

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var sorted = latencies.Where(l => !double.IsNaN(l)).Order().ToArray();
        return new RunResult(
            name,
            messages,
            window,
            confirmed.ToHashSet(),
            failures,
            clock.Elapsed,
            Percentile(sorted, 0.50),
            Percentile(sorted, 0.99),
            pauses.Longest,
            memory.PeakWorkingSet,
            allocated / (double)messages,
            confirmedAt,
            exceptionTypes,
            endedAt);
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    /// <summary>Samples the process's working set while a run goes on.</summary>
    private sealed class MemorySampler : IDisposable
    {
        private readonly Timer _timer;
        private long _peak;

        public MemorySampler()
        {
            _timer = new Timer(_ => Sample(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(50));
        }

        public long PeakWorkingSet
        {
            get
            {
                Sample();
                return Interlocked.Read(ref _peak);
            }
        }

        public void Dispose() => _timer.Dispose();

        private void Sample()
        {
            using var process = Process.GetCurrentProcess();
            var current = process.WorkingSet64;
            long peak;
            while (current > (peak = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, current, peak) != peak)
            {
            }
        }
    }
}
