using System.Globalization;
using System.Text;
using RabbitMQ.Client;

namespace RabbitHa.Benchmarks;

/// <summary>Confirmed msg/s of the three contenders, interleaved round after round; the median round counts.</summary>
internal static class Throughput
{
    public static async Task<string> RunAsync(Uri uri, string queue, BenchmarkOptions options)
    {
        await using var raw = await RawClientContender.CreateAsync(uri, queue);
        await using var rabbitHa = await RabbitHaContender.CreateAsync(uri, queue, options.Window);

        Console.WriteLine("Warming up...");
        await PublishRun.RunAsync("warm-up", 2_000, options.Window, raw.PublishAsync);
        await PublishRun.RunAsync("warm-up", 2_000, options.Window, rabbitHa.PublishAsync);
        await PurgeAsync(uri, queue);

        var results = new Dictionary<string, List<RunResult>>();
        for (var round = 1; round <= options.Rounds; round++)
        {
            var runs = new (string Name, Func<Task<RunResult>> Run)[]
            {
                ("raw, one at a time", () => PublishRun.RunAsync("raw, one at a time", options.SerialMessages, 1, raw.PublishAsync)),
                ($"raw, window {options.Window}", () => PublishRun.RunAsync($"raw, window {options.Window}", options.Messages, options.Window, raw.PublishAsync)),
                ($"RabbitHa, {options.Window} callers", () => PublishRun.RunAsync($"RabbitHa, {options.Window} callers", options.Messages, options.Window, rabbitHa.PublishAsync)),
            };

            // Alternate the order, so that neither side always runs on a warmer (or fuller) broker.
            foreach (var (name, run) in round % 2 == 0 ? runs.Reverse() : runs)
            {
                var result = await run();
                Console.WriteLine($"  round {round}: {name,-24} {result.MessagesPerSecond,8:F0} msg/s, p50 {result.LatencyP50Ms:F1} ms, p99 {result.LatencyP99Ms:F1} ms, {result.Exceptions} exceptions");
                (results.TryGetValue(name, out var list) ? list : results[name] = []).Add(result);
                await PurgeAsync(uri, queue);
            }
        }

        return Report(results, options);
    }

    private static string Report(Dictionary<string, List<RunResult>> results, BenchmarkOptions options)
    {
        var medians = results.ToDictionary(r => r.Key, r => r.Value.OrderBy(x => x.MessagesPerSecond).ElementAt(r.Value.Count / 2));
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Throughput: confirmed publishes through HAProxy, median of {options.Rounds} round(s)");
        text.AppendLine();
        text.AppendLine("| publisher | msg/s | confirm p50 | confirm p99 | peak working set | allocated/msg | exceptions |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var r in medians.Values)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.MessagesPerSecond:F0} | {r.LatencyP50Ms:F1} ms | {r.LatencyP99Ms:F1} ms | {r.PeakWorkingSetBytes / 1048576.0:F0} MiB | {r.AllocatedBytesPerMessage:F0} B | {r.Exceptions} |");
        }

        // Ratios per round, between runs minutes apart at most, then their median: the broker's speed drifts
        // between rounds (disk, other load), and a ratio of medians taken from different rounds would carry that drift.
        var rounds = results.Values.First().Count;
        double MedianRatio(int a, int b) => Enumerable.Range(0, rounds)
            .Select(r => results.Values.ElementAt(a)[r].MessagesPerSecond / results.Values.ElementAt(b)[r].MessagesPerSecond)
            .Order().ElementAt(rounds / 2);

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"RabbitHa / raw with the same window: {MedianRatio(2, 1):F2} (median of per-round ratios; target >= 0.95)");
        text.AppendLine(CultureInfo.InvariantCulture, $"RabbitHa / raw one at a time:       {MedianRatio(2, 0):F2} (target >= 5)");
        text.Append(CultureInfo.InvariantCulture, $"raw window / raw one at a time:     {MedianRatio(1, 0):F2}");
        return text.ToString();
    }

    private static async Task PurgeAsync(Uri uri, string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = uri }.CreateConnectionAsync("bench-admin");
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueuePurgeAsync(queue);
    }
}
