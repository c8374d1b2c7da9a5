using System.Collections.Concurrent;
using System.Diagnostics;

namespace RabbitHa.Benchmarks;

/// <summary>
/// What the consumer apps handled during a RabbitHa failover round: how often each message was handled (no
/// deduplication: a duplicate is counted, not hidden), and when each consumer handled something, to see when the ones
/// whose node was killed delivered again. A round is at most a few tens of thousands of messages: kept whole.
/// </summary>
internal sealed class FailoverBooks : IHandledSink
{
    private readonly ConcurrentDictionary<int, int> _counts = new();
    private readonly ConcurrentQueue<long>[] _times;
    private long _lastHandledAt;
    private int _redelivered;

    public FailoverBooks(int consumers)
    {
        _times = Enumerable.Range(0, consumers).Select(_ => new ConcurrentQueue<long>()).ToArray();
    }

    /// <summary>Gets how many times each message number was handled.</summary>
    public IReadOnlyDictionary<int, int> Counts => _counts;

    /// <summary>Gets the handlings the broker flagged as redeliveries: messages a consumer had not acknowledged when it lost its channel.</summary>
    public int Redelivered => Volatile.Read(ref _redelivered);

    public void Handled(int consumer, int messageId, bool redelivered)
    {
        var now = Stopwatch.GetTimestamp();
        _counts.AddOrUpdate(messageId, 1, static (_, n) => n + 1);
        _times[consumer].Enqueue(now);
        Volatile.Write(ref _lastHandledAt, now);
        if (redelivered)
        {
            Interlocked.Increment(ref _redelivered);
        }
    }

    /// <summary>Gets when one consumer handled messages, as <see cref="Stopwatch"/> timestamps.</summary>
    public IEnumerable<long> HandledTimes(int consumer) => _times[consumer];

    /// <summary>
    /// Waits until every confirmed message has been handled (or <paramref name="timeout"/>: what is missing then is lost),
    /// then until no consumer has handled anything for 2 s, so that late redeliveries are counted too.
    /// </summary>
    public async Task WaitUntilHandledAsync(IReadOnlySet<int> confirmed, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < timeout && !confirmed.All(_counts.ContainsKey))
        {
            await Task.Delay(200);
        }

        while (waited.Elapsed < timeout + TimeSpan.FromSeconds(10)
               && Stopwatch.GetElapsedTime(Volatile.Read(ref _lastHandledAt)) < TimeSpan.FromSeconds(2))
        {
            await Task.Delay(200);
        }
    }
}
