using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitHa.Client;
using RabbitHa.Testing;

namespace RabbitHa.Benchmarks;

/// <summary>
/// A long steady load with a node kill every few minutes, to see whether anything grows or goes missing over time: one
/// RabbitHa producer app (its own <c>AddRabbitHa</c> + <c>AddPublisher</c>) at <see cref="BenchmarkOptions.Rate"/>, three
/// RabbitHa consumer apps, and the node of the producer's publishing connection killed every
/// <see cref="BenchmarkOptions.SoakKillEvery"/> and started again. One row a minute: memory, the books, the kills.
/// </summary>
internal static class Soak
{
    /// <summary>
    /// How long a confirmed message may wait for a consumer before the row counts it as lost: longer than a failover and a
    /// consumer's resubscribe back-off. The final count, after the producer stopped, waits as long and then counts all.
    /// </summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(60);

    private const string Header = "| minute | working set | managed heap after full GC | in flight | confirmed | handled | duplicates | exceptions | lost so far | kills |";

    public static async Task<string> RunAsync(Uri uri, IRabbitHaCluster? cluster, string queue, BenchmarkOptions options)
    {
        // A queue of its own: whatever an earlier part of the run left behind stays out of the books.
        var soakQueue = queue + "-soak";
        await BrokerAdmin.DeclareQueueAsync(uri, soakQueue);
        try
        {
            return await RunOnQueueAsync(uri, cluster, soakQueue, options);
        }
        finally
        {
            await BrokerAdmin.DeleteQueueAndExchangeAsync(uri, soakQueue);
        }
    }

    private static async Task<string> RunOnQueueAsync(Uri uri, IRabbitHaCluster? cluster, string queue, BenchmarkOptions options)
    {
        var duration = TimeSpan.FromMinutes(options.SoakMinutes);
        var capacity = (int)Math.Min(int.MaxValue - 1, (options.Rate * ((long)duration.TotalSeconds + 60)) + options.Window);
        var books = new SoakBooks(capacity);
        var killing = cluster is not null && options.SoakKillEvery > TimeSpan.Zero;
        var kills = killing
            ? string.Create(CultureInfo.InvariantCulture, $"the producer's node killed every {options.SoakKillEvery.TotalSeconds:F0} s and started again")
            : "no kills";
        var title = string.Create(CultureInfo.InvariantCulture,
            $"Soak: {options.SoakMinutes} min at {options.Rate} msg/s, {options.Window} callers, RabbitHa producer + 3 RabbitHa consumer apps, {kills}");
        Console.WriteLine(title);

        await using var consumers = await ConsumerApps.StartAsync(uri, queue, books);
        var producerName = "bench-soak-producer-" + Guid.NewGuid().ToString("N")[..8];
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        BenchmarkLogging.Configure(builder.Logging);
        builder.Services
            .AddRabbitHa(o =>
            {
                o.Uri = uri.ToString();
                o.ClientProvidedName = producerName;
            })
            .AddPublisher(o => o.MaxInFlight = options.Window);
        var producerApp = builder.Build();
        try
        {
            await producerApp.StartAsync();
            using var producer = new SoakProducer(producerApp.Services.GetRequiredService<IRabbitHaPublisher>(), queue, books, options.Rate, options.Window);
            var killCount = new KillCount();
            var startedAt = Stopwatch.GetTimestamp();
            producer.Start();
            using var stopKilling = new CancellationTokenSource();
            var killer = killing
                ? Task.Run(() => KillLoopAsync(cluster!, producerName + RabbitHaDiagnostics.PublisherConnectionNameSuffix, options.SoakKillEvery, startedAt, duration, killCount, stopKilling.Token))
                : Task.CompletedTask;

            Console.WriteLine(Header);
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            var rows = new List<string>();
            var memory = new List<(double WorkingSet, double Heap)>();
            for (var minute = 1; minute <= options.SoakMinutes; minute++)
            {
                var wait = TimeSpan.FromMinutes(minute) - Stopwatch.GetElapsedTime(startedAt);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                var (workingSet, heap) = MeasureMemory();
                memory.Add((workingSet, heap));
                rows.Add(string.Create(CultureInfo.InvariantCulture,
                    $"| {minute} | {workingSet:F1} MiB | {heap:F1} MiB | {producer.InFlight} | {books.ConfirmedCount} | {books.HandledCount} | {books.Duplicates} | {producer.Exceptions} | {books.ConfirmedNotHandled(Grace)} | {killCount.Value} |"));
                Console.WriteLine(rows[^1]);
            }

            await stopKilling.CancelAsync();
            await producer.StopAsync();
            await killer;
            await books.WaitUntilHandledAsync(Grace);
            var lost = books.ConfirmedNotHandled(TimeSpan.Zero);

            var text = new StringBuilder();
            text.AppendLine(title);
            text.AppendLine();
            text.AppendLine(Header);
            text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            rows.ForEach(row => text.AppendLine(row));
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Start (minute 1, after a minute of warm-up under load) vs end (minute {options.SoakMinutes}):");
            text.AppendLine();
            text.AppendLine("| | start | end | growth |");
            text.AppendLine("|---|---:|---:|---:|");
            text.AppendLine(Growth("working set", memory[0].WorkingSet, memory[^1].WorkingSet));
            text.AppendLine(Growth("managed heap after full GC", memory[0].Heap, memory[^1].Heap));
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"Totals: {producer.Published} published, {books.ConfirmedCount} confirmed, {books.HandledCount} handled, {books.Duplicates} duplicates, {producer.Exceptions} exceptions at the caller, {killCount.Value} kills{(books.Unknown > 0 ? $", {books.Unknown} handled messages of unknown number" : string.Empty)}");
            text.Append(lost == 0
                ? "Lost: 0 (every confirmed message was handled)"
                : string.Create(CultureInfo.InvariantCulture, $"Lost: {lost}, NOT 0 (confirmed, not handled {Grace.TotalSeconds:F0} s after the producer stopped)"));
            return text.ToString();
        }
        finally
        {
            await producerApp.StopAndDisposeAsync(TimeSpan.FromSeconds(60));
        }
    }

    /// <summary>
    /// The working set as the OS counts it, then the managed heap after a full, blocking, compacting collection (the large
    /// object heap included): what is still referenced, without the garbage a busy minute leaves. In MiB.
    /// </summary>
    private static (double WorkingSet, double Heap) MeasureMemory()
    {
        using var process = Process.GetCurrentProcess();
        var workingSet = process.WorkingSet64 / 1048576.0;
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var heap = GC.GetTotalMemory(forceFullCollection: true) / 1048576.0;
        return (workingSet, heap);
    }

    private static string Growth(string what, double start, double end) => string.Create(CultureInfo.InvariantCulture,
        $"| {what} | {start:F1} MiB | {end:F1} MiB | {(end - start) / start * 100:+0.0;-0.0;0.0} % |");

    /// <summary>
    /// Kills the node of the producer's publishing connection at every multiple of <paramref name="every"/> from the start
    /// (while that is before the end), starts it again and waits until the cluster is healthy. The node is looked up each
    /// time: after a recovery the connection is elsewhere. A kill is never cut short by the stop: the node always comes back.
    /// </summary>
    private static async Task KillLoopAsync(
        IRabbitHaCluster cluster, string connectionName, TimeSpan every, long startedAt, TimeSpan duration, KillCount kills, CancellationToken stop)
    {
        for (var k = 1; every * k < duration; k++)
        {
            var wait = (every * k) - Stopwatch.GetElapsedTime(startedAt);
            try
            {
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, stop);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                var node = await cluster.FindConnectionNodeAsync(connectionName, TimeSpan.FromSeconds(30), CancellationToken.None);
                if (node is null)
                {
                    Console.WriteLine($"  kill {k} skipped: {connectionName} is not listed by the management API");
                    continue;
                }

                await node.KillAsync(CancellationToken.None);
                kills.Increment();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {Stopwatch.GetElapsedTime(startedAt):mm\\:ss} kill {k}: {node.HostName} (the producer's publishing connection)"));
                await node.StartAsync(CancellationToken.None);
                await cluster.WaitUntilHealthyAsync(TimeSpan.FromSeconds(180), CancellationToken.None);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {Stopwatch.GetElapsedTime(startedAt):mm\\:ss} {node.HostName} started again, cluster healthy"));
            }
#pragma warning disable CA1031 // A kill that fails ends the kills, not the soak: its rows still say what happened.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Console.WriteLine($"  kill {k} failed, no more kills: {ex.GetType().Name}: {ex.Message}");
                return;
            }
        }
    }

    /// <summary>The kills so far, shared by the kill loop and the rows.</summary>
    private sealed class KillCount
    {
        private int _value;

        public int Value => Volatile.Read(ref _value);

        public void Increment() => Interlocked.Increment(ref _value);
    }
}
