using System.Globalization;
using System.Text;

namespace RabbitHa.Benchmarks;

/// <summary>
/// The failover figures as markdown: one row per round and contender, then the median and the worst of each figure
/// over the rounds. The median of an even number of rounds is the upper of the two middle values: always a round that
/// happened, never an average of two.
/// </summary>
internal static class FailoverReport
{
    private const string RoundHeader =
        "| round | publisher | killed | confirmed | exceptions at the caller | longest pause between confirms | resumed after the kill | re-sent | duplicates | lost | consumers on the killed node: delivering again after | msg/s |";

    private const string SummaryHeader =
        "| publisher | rounds | exceptions at the caller | longest pause between confirms | resumed after the kill | re-sent | duplicates | lost | consumers on the killed node: delivering again after | msg/s |";

    public static string Row(FailoverResult r) => string.Create(CultureInfo.InvariantCulture,
        $"| {r.Round} | {r.Publisher} | rmq{r.KilledNode} | {r.Run.Confirmed.Count} | {r.Run.Exceptions} | {Pause(r.ConfirmPause)} | {Ms(Milliseconds(r.ConfirmPause.ResumedAfter))} | {(r.Resent is { } n ? n.ToString(CultureInfo.InvariantCulture) : "n/a")} | {r.Duplicates} | {r.Lost} | {Consumers(r.Consumers)} | {r.Run.MessagesPerSecond:F0} |");

    public static string Render(IReadOnlyList<FailoverResult> results, BenchmarkOptions options)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Failover: {options.FailoverFault} of the producer's node after {options.Messages / 3} of {options.Messages} messages, then started again; {options.FailoverRounds} round(s).");
        text.AppendLine("RabbitHa rounds run with 3 RabbitHa consumer apps on a queue of their own (lost and duplicates counted from what they handled); raw and MassTransit rounds publish only, and the queue is drained after the run.");
        text.AppendLine();
        text.AppendLine(RoundHeader);
        text.AppendLine("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|");
        foreach (var r in results.OrderBy(r => r.Round))
        {
            text.AppendLine(Row(r));
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Failover over {options.FailoverRounds} round(s): median / worst");
        text.AppendLine();
        text.AppendLine(SummaryHeader);
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|");
        foreach (var group in results.GroupBy(r => r.Publisher))
        {
            var rounds = group.ToList();
            var consumers = rounds.Where(r => r.Consumers is not null).SelectMany(r => r.Consumers!).ToList();
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {group.Key} | {rounds.Count} | {Spread(rounds.Select(r => (double)r.Run.Exceptions), Count)} | {Spread(rounds.Select(r => r.ConfirmPause.Pause.TotalMilliseconds), Ms)} | {Spread(rounds.Select(r => Milliseconds(r.ConfirmPause.ResumedAfter)), Ms)} | {(rounds.All(r => r.Resent is null) ? "n/a" : Spread(rounds.Select(r => (double)(r.Resent ?? 0)), Count))} | {Spread(rounds.Select(r => (double)r.Duplicates), Count)} | {Spread(rounds.Select(r => (double)r.Lost), Count)} | {(rounds.All(r => r.Consumers is null) ? "n/a" : consumers.Count == 0 ? "none on a killed node" : Spread(consumers.Select(c => Milliseconds(c.DeliveringAgainAfter)), Ms) + $" ({consumers.Count} observed)")} | {Spread(rounds.Select(r => -r.Run.MessagesPerSecond), v => (-v).ToString("F0", CultureInfo.InvariantCulture))} |"));
        }

        var stepped = results.Where(r => r.Steps is not null).OrderBy(r => r.Round).ToList();
        if (stepped.Count > 0)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"RabbitHa's longest pause between confirms, step by step (ms from the {options.FailoverFault}; the pause began at its last confirm before it, ended at its first after)");
            text.AppendLine();
            text.AppendLine("| round | pause began | connection lost | recovered | pause ended | pause | of which reconnecting | of which channel and first confirm |");
            text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var r in stepped)
            {
                var s = r.Steps!;
                text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {r.Round} | {Signed(s.PauseBegan)} | {Signed(s.Lost)} | {Signed(s.Recovered)} | {Signed(s.PauseEnded)} | {Pause(r.ConfirmPause)} | {Between(s.Lost, s.Recovered)} | {Between(s.Recovered, s.PauseEnded)} |"));
            }
        }

        return text.ToString().TrimEnd();
    }

    /// <summary>A moment counted from the fault, with its sign; "-" when not seen.</summary>
    private static string Signed(TimeSpan? value) =>
        value is { } v ? v.TotalMilliseconds.ToString("+0;-0;0", CultureInfo.InvariantCulture) : "-";

    /// <summary>From one step to the next, in ms; "-" when either was not seen or they came in the other order.</summary>
    private static string Between(TimeSpan? from, TimeSpan? to) =>
        from is { } f && to is { } t && t >= f ? Ms((t - f).TotalMilliseconds) : "-";

    /// <summary>"median / worst", worst being the largest value (msg/s is passed negated, so its worst is the smallest).</summary>
    private static string Spread(IEnumerable<double> values, Func<double, string> format)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? "-" : $"{format(sorted[sorted.Length / 2])} / {format(sorted[^1])}";
    }

    private static string Count(double value) => value.ToString("F0", CultureInfo.InvariantCulture);

    /// <summary>Milliseconds; infinity stands for "never" (it sorts last, so it is the worst).</summary>
    private static string Ms(double value) =>
        double.IsPositiveInfinity(value) ? "never" : value.ToString("F0", CultureInfo.InvariantCulture) + " ms";

    /// <summary>Milliseconds, or infinity for "never".</summary>
    private static double Milliseconds(TimeSpan? value) => value?.TotalMilliseconds ?? double.PositiveInfinity;

    /// <summary>A pause that never ended is at least as long as the observation: "≥ n ms".</summary>
    private static string Pause(PauseAfterKill pause) =>
        (pause.ResumedAfter is null ? ">= " : string.Empty) + Ms(pause.Pause.TotalMilliseconds);

    private static string Consumers(IReadOnlyList<ConsumerResume>? consumers) => consumers switch
    {
        null => "n/a",
        [] => "none on it",
        _ => string.Join(", ", consumers.Select(c => $"consumer {c.Consumer}: {Ms(Milliseconds(c.DeliveringAgainAfter))}")),
    };
}
