namespace RabbitHa.Benchmarks;

/// <summary>What one run of one contender measured.</summary>
/// <param name="ConfirmedAt">For each message number, the <see cref="System.Diagnostics.Stopwatch"/> timestamp of its confirm; 0 if it was not confirmed.</param>
/// <param name="ExceptionTypes">The exceptions the callers saw, by type name.</param>
/// <param name="EndedAt">The <see cref="System.Diagnostics.Stopwatch"/> timestamp at which the last caller returned.</param>
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
    double AllocatedBytesPerMessage,
    long[] ConfirmedAt,
    IReadOnlyDictionary<string, int> ExceptionTypes,
    long EndedAt)
{
    public double MessagesPerSecond => Confirmed.Count / Elapsed.TotalSeconds;

    /// <summary>The exception counts by type, for a log line: <c>"AlreadyClosedException 12, PublishException 3"</c>.</summary>
    public string DescribeExceptions() =>
        string.Join(", ", ExceptionTypes.OrderByDescending(e => e.Value).Select(e => $"{e.Key} {e.Value}"));
}
