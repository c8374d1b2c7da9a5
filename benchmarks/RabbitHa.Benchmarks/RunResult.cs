namespace RabbitHa.Benchmarks;

/// <summary>What one run of one contender measured.</summary>
internal sealed record RunResult(
    string Name,
    int Messages,
    int Window,
    IReadOnlySet<int> Confirmed,
    int Exceptions,
    TimeSpan Elapsed,
    double LatencyP50Ms,
    double LatencyP99Ms,
    TimeSpan LongestPause,
    long PeakWorkingSetBytes,
    double AllocatedBytesPerMessage)
{
    public double MessagesPerSecond => Confirmed.Count / Elapsed.TotalSeconds;
}
