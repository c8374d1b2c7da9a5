using System.Collections.Concurrent;
using System.Diagnostics;
using RabbitHa.Client;

namespace RabbitHa.Benchmarks;

/// <summary>
/// When a RabbitHa connection reported itself lost and recovered (<see cref="Stopwatch"/> timestamps, taken in its event
/// handlers): with the confirms around them, what a failover's pause is made of.
/// </summary>
internal sealed class ConnectionSteps : IDisposable
{
    private readonly IRabbitHaConnection _connection;
    private readonly ConcurrentQueue<long> _lost = new();
    private readonly ConcurrentQueue<long> _recovered = new();

    public ConnectionSteps(IRabbitHaConnection connection)
    {
        _connection = connection;
        _connection.ConnectionLost += OnLost;
        _connection.ConnectionRecovered += OnRecovered;
    }

    /// <summary>The steps of the failover requested at <paramref name="killedAt"/>: the first loss at or after it, the first recovery after that loss.</summary>
    public FailoverSteps Measure(long killedAt, PauseAfterKill pause)
    {
        long lost = _lost.Where(t => t >= killedAt).DefaultIfEmpty().Min();
        long recovered = lost == 0 ? 0 : _recovered.Where(t => t > lost).DefaultIfEmpty().Min();
        return new FailoverSteps(
            pause.ResumedAfter - pause.Pause,
            lost == 0 ? null : Stopwatch.GetElapsedTime(killedAt, lost),
            recovered == 0 ? null : Stopwatch.GetElapsedTime(killedAt, recovered),
            pause.ResumedAfter);
    }

    public void Dispose()
    {
        _connection.ConnectionLost -= OnLost;
        _connection.ConnectionRecovered -= OnRecovered;
    }

    private void OnLost(object? sender, RabbitHaConnectionLostEventArgs e) => _lost.Enqueue(Stopwatch.GetTimestamp());

    private void OnRecovered(object? sender, RabbitHaConnectionRecoveredEventArgs e) => _recovered.Enqueue(Stopwatch.GetTimestamp());
}

/// <summary>
/// A RabbitHa failover round step by step, each counted from the kill (or the request to stop): the longest pause between
/// confirms began (the last confirm before it; negative if before the kill), the publishing connection reported itself
/// lost, then recovered (reconnected through HAProxy, its topology declared again), and the pause ended (the first confirm
/// after it: a channel opened on the recovered connection and a re-sent or new message confirmed). <see langword="null"/>
/// where the step was not seen.
/// </summary>
internal sealed record FailoverSteps(TimeSpan? PauseBegan, TimeSpan? Lost, TimeSpan? Recovered, TimeSpan? PauseEnded);
