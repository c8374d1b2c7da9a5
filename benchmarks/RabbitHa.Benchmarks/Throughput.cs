using System.Globalization;
using System.Text;

namespace RabbitHa.Benchmarks;

/// <summary>Confirmed msg/s of the contenders, interleaved round after round; the median round counts.</summary>
internal static class Throughput
{
    public static async Task<string> RunAsync(Uri uri, string queue, BenchmarkOptions options)
    {
        await using var raw = await RawClientContender.CreateAsync(uri, queue);
        await using var massTransit = await MassTransitContender.CreateAsync(uri, queue);
        await using var rabbitHa = await RabbitHaContender.CreateAsync(uri, queue, options.Window);
        Console.WriteLine(MassTransitContender.Describe(queue));

        var serial = "raw, one at a time";
        var rawWindow = $"raw, window {options.Window}";
        var massTransitWindow = $"MassTransit, {options.Window} callers";
        var rabbitHaWindow = $"RabbitHa, {options.Window} callers";

        Console.WriteLine("Warming up...");
        await PublishRun.RunAsync("warm-up", 2_000, options.Window, raw.PublishAsync);
        await PublishRun.RunAsync("warm-up", 2_000, options.Window, massTransit.PublishAsync);
        await PublishRun.RunAsync("warm-up", 2_000, options.Window, rabbitHa.PublishAsync);
        await BrokerAdmin.PurgeAsync(uri, queue);

        var results = new Dictionary<string, List<RunResult>>();
        for (var round = 1; round <= options.Rounds; round++)
        {
            var runs = new (string Name, Func<Task<RunResult>> Run)[]
            {
                (serial, () => PublishRun.RunAsync(serial, options.SerialMessages, 1, raw.PublishAsync)),
                (rawWindow, () => PublishRun.RunAsync(rawWindow, options.Messages, options.Window, raw.PublishAsync)),
                (massTransitWindow, () => PublishRun.RunAsync(massTransitWindow, options.Messages, options.Window, massTransit.PublishAsync)),
                (rabbitHaWindow, () => PublishRun.RunAsync(rabbitHaWindow, options.Messages, options.Window, rabbitHa.PublishAsync)),
            };

            // Alternate the order, so that no contender always runs on a warmer (or fuller) broker.
            foreach (var (name, run) in round % 2 == 0 ? runs.Reverse() : runs)
            {
                var result = await run();
                Console.WriteLine($"  round {round}: {name,-24} {result.MessagesPerSecond,8:F0} msg/s, p50 {result.LatencyP50Ms:F1} ms, p99 {result.LatencyP99Ms:F1} ms, {result.Exceptions} exceptions");
                (results.TryGetValue(name, out var list) ? list : results[name] = []).Add(result);
                await BrokerAdmin.PurgeAsync(uri, queue);
            }
        }

        // Ratios per round, between runs minutes apart at most, then their median: the broker's speed drifts
        // between rounds (disk, other load), and a ratio of medians taken from different rounds would carry that drift.
        string MedianRatio(string a, string b) => Enumerable.Range(0, options.Rounds)
            .Select(r => results[a][r].MessagesPerSecond / results[b][r].MessagesPerSecond)
            .Order().ElementAt(options.Rounds / 2).ToString("F2", CultureInfo.InvariantCulture);

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Throughput: confirmed publishes through HAProxy, median of {options.Rounds} round(s)");
        text.AppendLine();
        text.AppendLine("| publisher | msg/s | confirm p50 | confirm p99 | peak working set | allocated/msg | exceptions |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var name in new[] { serial, rawWindow, massTransitWindow, rabbitHaWindow })
        {
            var r = results[name].OrderBy(x => x.MessagesPerSecond).ElementAt(results[name].Count / 2);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.MessagesPerSecond:F0} | {r.LatencyP50Ms:F1} ms | {r.LatencyP99Ms:F1} ms | {r.PeakWorkingSetBytes / 1048576.0:F0} MiB | {r.AllocatedBytesPerMessage:F0} B | {r.Exceptions} |");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"RabbitHa / raw with the same window:    {MedianRatio(rabbitHaWindow, rawWindow)} (median of per-round ratios; target >= 0.95)");
        text.AppendLine(CultureInfo.InvariantCulture, $"MassTransit / raw with the same window: {MedianRatio(massTransitWindow, rawWindow)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"RabbitHa / MassTransit:                 {MedianRatio(rabbitHaWindow, massTransitWindow)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"RabbitHa / raw one at a time:           {MedianRatio(rabbitHaWindow, serial)} (target >= 5)");
        text.Append(CultureInfo.InvariantCulture, $"raw window / raw one at a time:         {MedianRatio(rawWindow, serial)}");
        return text.ToString();
    }
}
