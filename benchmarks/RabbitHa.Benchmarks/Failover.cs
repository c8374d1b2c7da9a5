using System.Diagnostics;
using RabbitHa.Testing;

namespace RabbitHa.Benchmarks;

/// <summary>
/// Round after round, each contender publishes with the same window while the node holding its own connection is
/// killed (SIGKILL) a third of the way in, then started again. Raw and MassTransit publish to the shared queue, drained
/// after the run to count what was lost and duplicated. RabbitHa publishes to a queue of its own with three RabbitHa
/// consumer apps on it (as README shows an application), and the books are what they handled; the consumers whose
/// connection was on the killed node show how long they took to deliver again.
/// </summary>
internal static class Failover
{
    public static async Task<string> RunAsync(IRabbitHaCluster cluster, string queue, BenchmarkOptions options)
    {
        var uri = cluster.AmqpUri;
        Console.WriteLine(MassTransitContender.Describe(queue));
        var raw = $"raw, window {options.Window}";
        var massTransit = $"MassTransit, {options.Window} callers";
        var rabbitHa = $"RabbitHa, {options.Window} callers";
        var contenders = new (string Name, Func<int, Task<FailoverResult>> Run)[]
        {
            (raw, round => PublisherOnlyRoundAsync(cluster, queue, options, round, raw, async () => await RawClientContender.CreateAsync(uri, queue))),
            (massTransit, round => PublisherOnlyRoundAsync(cluster, queue, options, round, massTransit, async () => await MassTransitContender.CreateAsync(uri, queue))),
            (rabbitHa, round => RabbitHaRoundAsync(cluster, queue, options, round, rabbitHa)),
        };

        var results = new List<FailoverResult>();
        for (var round = 1; round <= options.FailoverRounds; round++)
        {
            // Alternate the order: each kill leaves the cluster a little different (queue leaders move), and no
            // contender should always come first after a restart.
            foreach (var (_, run) in round % 2 == 0 ? contenders.Reverse() : contenders)
            {
                var result = await run(round);
                results.Add(result);
                Console.WriteLine("  " + FailoverReport.Row(result));
            }
        }

        return FailoverReport.Render(results, options);
    }

    private static async Task<FailoverResult> PublisherOnlyRoundAsync(
        IRabbitHaCluster cluster, string queue, BenchmarkOptions options, int round, string name, Func<Task<IContender>> create)
    {
        await cluster.WaitUntilHealthyAsync(TimeSpan.FromSeconds(120));
        await using var contender = await create();

        // After creating it: MassTransit's contender sends one message to open its connection.
        await BrokerAdmin.PurgeAsync(cluster.AmqpUri, queue);
        var (run, node, killedAt) = await PublishThroughKillAsync(cluster, contender, name, round, options);
        var (distinct, deliveries) = await QueueDrain.DrainAsync(cluster.AmqpUri, queue);
        Describe(run, $"{deliveries} deliveries drained");
        return new FailoverResult(
            round,
            name,
            node,
            run,
            PauseAfterKill.Measure(killedAt, run.ConfirmedAt, run.EndedAt),
            contender.Resent,
            deliveries - distinct.Count,
            run.Confirmed.Count(id => !distinct.Contains(id)),
            Consumers: null);
    }

    private static async Task<FailoverResult> RabbitHaRoundAsync(IRabbitHaCluster cluster, string queue, BenchmarkOptions options, int round, string name)
    {
        await cluster.WaitUntilHealthyAsync(TimeSpan.FromSeconds(120));

        // A queue of its own: the consumers take everything from it, so nothing of the other contenders' runs mixes in.
        var roundQueue = $"{queue}-rabbitha-{round}";
        await BrokerAdmin.DeclareQueueAsync(cluster.AmqpUri, roundQueue);
        try
        {
            var books = new FailoverBooks(ConsumerApps.Count);
            await using var consumers = await ConsumerApps.StartAsync(cluster.AmqpUri, roundQueue, books);
            await using var contender = await RabbitHaContender.CreateAsync(cluster.AmqpUri, roundQueue, options.Window);
            var consumerNodes = new int?[ConsumerApps.Count];
            for (var i = 0; i < ConsumerApps.Count; i++)
            {
                consumerNodes[i] = (await cluster.FindConnectionNodeAsync(consumers.ConnectionNames[i], TimeSpan.FromSeconds(30)))?.Number;
            }

            Console.WriteLine($"  consumers' connections on: {string.Join(", ", consumerNodes.Select((n, i) => $"consumer {i + 1} rmq{n?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}"))}");
            var (run, node, killedAt) = await PublishThroughKillAsync(cluster, contender, name, round, options);
            await books.WaitUntilHandledAsync(run.Confirmed, TimeSpan.FromSeconds(60));
            var counts = books.Counts;
            var handledUntil = Stopwatch.GetTimestamp();
            var onKilledNode = Enumerable.Range(0, ConsumerApps.Count)
                .Where(i => consumerNodes[i] == node)
                .Select(i => new ConsumerResume(i + 1, PauseAfterKill.Measure(killedAt, books.HandledTimes(i), handledUntil).ResumedAfter))
                .ToList();
            Describe(run, $"{counts.Values.Sum()} handled, {books.Redelivered} of them flagged redelivered by the broker");
            var pause = PauseAfterKill.Measure(killedAt, run.ConfirmedAt, run.EndedAt);
            return new FailoverResult(
                round,
                name,
                node,
                run,
                pause,
                contender.Resent,
                counts.Values.Sum(n => n - 1),
                run.Confirmed.Count(id => !counts.ContainsKey(id)),
                onKilledNode,
                contender.Steps.Measure(killedAt, pause));
        }
        finally
        {
            await BrokerAdmin.DeleteQueueAndExchangeAsync(cluster.AmqpUri, roundQueue);
        }
    }

    /// <summary>
    /// Publishes <see cref="BenchmarkOptions.Messages"/>, kills the node of the contender's connection a third of the way
    /// in, starts it again once the run is over and waits until the cluster is healthy. Returns the run, the node, and the
    /// moment the kill (or the stop) was requested: every pause counts from there. Not from the moment the command
    /// returned: <c>docker kill</c> takes a few hundred milliseconds to return, and a client that reconnects at once has
    /// its connection back before it does (seen in this benchmark: lost 300-700 ms before the command returned), so a
    /// pause measured from the return would leave the failover out.
    /// </summary>
    private static async Task<(RunResult Run, int Node, long KilledAt)> PublishThroughKillAsync(
        IRabbitHaCluster cluster, IContender contender, string name, int round, BenchmarkOptions options)
    {
        var node = await cluster.FindConnectionNodeAsync(contender.ConnectionName, TimeSpan.FromSeconds(30))
            ?? throw new InvalidOperationException($"Connection {contender.ConnectionName} does not show up in the management API.");
        var killAt = options.Messages / 3;
        Console.WriteLine($"Failover round {round}, {name}: its connection is on {node.HostName}; {options.FailoverFault} of it after {killAt} messages.");

        // A safety net, not a measure: a client whose publishes never return would hold the benchmark for ever. Past the
        // deadline (5 minutes, plus 10 ms a message: slower than 100 msg/s is broken anyway) its callers' tokens are
        // cancelled; what that ends shows as exceptions (OperationCanceledException).
        var runDeadline = TimeSpan.FromMinutes(5) + TimeSpan.FromMilliseconds(options.Messages * 10.0);
        using var deadline = new CancellationTokenSource(runDeadline);
        long killedAt = 0;
        Task? kill = null;
        RunResult run;
        try
        {
            run = await PublishRun.RunAsync(
                name,
                options.Messages,
                options.Window,
                contender.PublishAsync,
                i =>
                {
                    if (i == killAt)
                    {
                        kill = KillAsync();
                    }

                    return Task.CompletedTask;
                },
                deadline.Token);
            if (deadline.IsCancellationRequested)
            {
                Console.WriteLine($"  {name}: the run overran its {runDeadline.TotalMinutes:F0} min deadline; the publishes still waiting then were cancelled.");
            }

            await (kill ?? Task.CompletedTask);
        }
        finally
        {
            await node.StartAsync();
        }

        await cluster.WaitUntilHealthyAsync(TimeSpan.FromSeconds(120));
        return (run, node.Number, Volatile.Read(ref killedAt));

        async Task KillAsync()
        {
            Volatile.Write(ref killedAt, Stopwatch.GetTimestamp());
            if (options.FailoverStop)
            {
                await node.StopAsync();
            }
            else
            {
                await node.KillAsync();
            }
        }
    }

    private static void Describe(RunResult run, string books) =>
        Console.WriteLine($"  {run.Name}: {run.Confirmed.Count} confirmed, {run.Exceptions} exceptions{(run.Exceptions > 0 ? $" ({run.DescribeExceptions()})" : string.Empty)}; {books}");
}
