using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using RabbitHa.Client;
using RabbitHa.Testing;

namespace RabbitHa.Benchmarks;

/// <summary>
/// Many RabbitHa connections lose the cluster at the same moment (HAProxy killed, so each one's connection drops and
/// every reconnection is refused), for a while, then HAProxy comes back: how many reconnection attempts a second they
/// make meanwhile, and how long after HAProxy is back each one is open again. A fixed retry interval would make every
/// connection try at that rate for the whole outage; RabbitHa's first attempt goes at once and the later ones back off
/// with jitter (Recovery:RetryDelay doubling up to Recovery:MaxRetryDelay).
/// </summary>
internal static class ReconnectStorm
{
    public static async Task<string> RunAsync(IRabbitHaCluster cluster, BenchmarkOptions options)
    {
        int count = options.StormConnections;
        TimeSpan outage = options.StormOutage;
        var attempts = new ConcurrentQueue<long>();
        var recovered = new ConcurrentDictionary<int, long>();
        var providers = new List<ServiceProvider>(count);
        var id = Guid.NewGuid().ToString("N")[..8];
        long proxyStoppedAt = 0;
        try
        {
            for (var i = 0; i < count; i++)
            {
                var name = $"bench-storm-{i + 1}-{id}";
                var services = new ServiceCollection();
                services.AddLogging(logging => BenchmarkLogging.Configure(logging));
                services.AddRabbitHa(o =>
                {
                    o.Uri = cluster.AmqpUri.ToString();
                    o.ClientProvidedName = name;
                });
                var provider = services.BuildServiceProvider();
                providers.Add(provider);
                var connection = provider.GetRequiredService<IRabbitHaConnection>();
                await connection.ConnectAsync();
                var slot = i;

                // Every attempt ends in one of these two events: a failure, or the recovery.
                connection.RecoveryFailed += (_, _) => attempts.Enqueue(Stopwatch.GetTimestamp());
                connection.ConnectionRecovered += (_, _) =>
                {
                    long now = Stopwatch.GetTimestamp();
                    attempts.Enqueue(now);
                    recovered[slot] = now;
                };
            }

            Console.WriteLine($"Reconnect storm: {count} connections open; killing HAProxy for {outage.TotalSeconds:F0} s.");
            proxyStoppedAt = Stopwatch.GetTimestamp();
            await cluster.Proxy.StopAsync();
            await Task.Delay(outage);
            long proxyStartedAt = Stopwatch.GetTimestamp();
            await cluster.Proxy.StartAsync();

            var clock = Stopwatch.StartNew();
            while (recovered.Count < count && clock.Elapsed < TimeSpan.FromSeconds(120))
            {
                await Task.Delay(100);
            }

            return Report(count, outage, proxyStoppedAt, proxyStartedAt, [.. attempts], recovered.Values.ToArray());
        }
        finally
        {
            if (proxyStoppedAt != 0)
            {
                await cluster.WaitUntilHealthyAsync(TimeSpan.FromSeconds(120));
            }

            foreach (var provider in providers)
            {
                await provider.DisposeAsync();
            }
        }
    }

    private static string Report(int count, TimeSpan outage, long stoppedAt, long startedAt, long[] attempts, long[] recoveredAt)
    {
        // Per second of the outage: the attempts that ended in it (a refused connect ends at once, so when it was made).
        int seconds = (int)Math.Ceiling(outage.TotalSeconds);
        var perSecond = new int[seconds];
        foreach (long t in attempts)
        {
            int second = (int)Stopwatch.GetElapsedTime(stoppedAt, t).TotalSeconds;
            if (t >= stoppedAt && t < startedAt && second < seconds)
            {
                perSecond[second]++;
            }
        }

        double[] back = [.. recoveredAt.Where(t => t >= startedAt).Select(t => Stopwatch.GetElapsedTime(startedAt, t).TotalMilliseconds).Order()];
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Reconnect storm: {count} RabbitHa connections, HAProxy killed for {outage.TotalSeconds:F0} s, then started again");
        text.AppendLine();
        text.AppendLine("| second of the outage | " + string.Join(" | ", Enumerable.Range(1, seconds)) + " |");
        text.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---:|", seconds)));
        text.AppendLine("| reconnection attempts | " + string.Join(" | ", perSecond) + " |");
        text.AppendLine();
        int total = perSecond.Sum();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Attempts during the outage: {total} ({(double)total / count:F1} per connection; the first second {perSecond[0]}, the last {perSecond[^1]}). " +
            $"A fixed 500 ms interval would make {count * 2} a second; RabbitMQ.Client's default 5 s, {count / 5.0:F0} a second.");
        text.AppendLine(back.Length == 0
            ? "No connection recovered within 2 minutes of HAProxy's start."
            : string.Create(CultureInfo.InvariantCulture,
                $"Open again after HAProxy started: {back.Length} of {count}; median {back[back.Length / 2]:F0} ms, worst {back[^1]:F0} ms " +
                $"(a connection waits out its current backoff, up to Recovery:MaxRetryDelay, 5 s by default)."));
        return text.ToString().TrimEnd();
    }
}
