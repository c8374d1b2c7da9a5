using System.Diagnostics;

namespace RabbitHa.Benchmarks;

/// <summary>
/// The soak's books: for each message number, when it was confirmed and how often it was handled. Arrays sized for the
/// whole soak and touched once at the start, so that the books do not grow while the soak measures whether the process
/// does (a dictionary of a million entries would be most of the growth it reports). 8 bytes a message: 5 MiB for
/// 10 minutes at 1 000 msg/s.
/// </summary>
internal sealed class SoakBooks : IHandledSink
{
    private readonly int[] _confirmedAtSecond;
    private readonly int[] _handled;
    private readonly long _startedAt = Stopwatch.GetTimestamp();
    private long _confirmed;
    private long _distinct;
    private long _handlings;
    private long _unknown;

    public SoakBooks(int capacity)
    {
        _confirmedAtSecond = new int[capacity];
        _handled = new int[capacity];

        // Written once now, so that the pages are the process's from the start and not counted as growth later.
        _confirmedAtSecond.AsSpan().Clear();
        _handled.AsSpan().Clear();
    }

    /// <summary>Gets how many message numbers the books hold: the producer stops there.</summary>
    public int Capacity => _handled.Length;

    public long ConfirmedCount => Interlocked.Read(ref _confirmed);

    /// <summary>Gets the number of distinct messages handled.</summary>
    public long HandledCount => Interlocked.Read(ref _distinct);

    /// <summary>Gets the handlings beyond the first of each message.</summary>
    public long Duplicates => Interlocked.Read(ref _handlings) - Interlocked.Read(ref _distinct);

    /// <summary>Gets the handled messages whose number the books do not know (none expected; counted rather than thrown).</summary>
    public long Unknown => Interlocked.Read(ref _unknown);

    public void Confirmed(int messageId)
    {
        // Seconds from the start, plus one: 0 means not confirmed.
        Volatile.Write(ref _confirmedAtSecond[messageId], (int)Stopwatch.GetElapsedTime(_startedAt).TotalSeconds + 1);
        Interlocked.Increment(ref _confirmed);
    }

    public void Handled(int consumer, int messageId, bool redelivered)
    {
        if ((uint)messageId >= (uint)_handled.Length)
        {
            Interlocked.Increment(ref _unknown);
            return;
        }

        if (Interlocked.Increment(ref _handled[messageId]) == 1)
        {
            Interlocked.Increment(ref _distinct);
        }

        Interlocked.Increment(ref _handlings);
    }

    /// <summary>
    /// Counts the messages confirmed at least <paramref name="grace"/> ago that no consumer has handled: lost, unless a
    /// consumer is still far behind. <see cref="TimeSpan.Zero"/> counts every confirmed message not handled.
    /// </summary>
    public int ConfirmedNotHandled(TimeSpan grace)
    {
        var cutoff = (int)(Stopwatch.GetElapsedTime(_startedAt) - grace).TotalSeconds + 1;
        var count = 0;
        for (var i = 0; i < _handled.Length; i++)
        {
            var confirmedAt = Volatile.Read(ref _confirmedAtSecond[i]);
            if (confirmedAt != 0 && confirmedAt <= cutoff && Volatile.Read(ref _handled[i]) == 0)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Waits until every confirmed message has been handled, or <paramref name="timeout"/>.</summary>
    public async Task WaitUntilHandledAsync(TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < timeout && ConfirmedNotHandled(TimeSpan.Zero) > 0)
        {
            await Task.Delay(500);
        }
    }
}
