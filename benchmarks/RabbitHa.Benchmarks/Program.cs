using RabbitHa.Benchmarks;
using RabbitHa.Testing.Containers;

// Confirmed publishes per second through HAProxy: RabbitHa's publisher against the raw RabbitMQ.Client 7 and
// MassTransit 8, in the same run, on the same cluster, with the same in-flight window; then (--failover-rounds) the
// same three with the producer's node killed mid-run, round after round; then (--soak) RabbitHa under a steady load
// for minutes, with a kill every few. See docs/BENCHMARKS.md.
BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

if (options.Help)
{
    Console.WriteLine(BenchmarkOptions.Usage);
    return 0;
}

if (options.Uri is not null && (options.Failover || options.StormConnections > 0 || (options.SoakMinutes > 0 && options.SoakKillEvery > TimeSpan.Zero)))
{
    Console.Error.WriteLine("Failover rounds and soak kills kill nodes, so they need the cluster the benchmark starts itself: leave out --uri (or use --soak-kill-every 0).");
    return 2;
}

if (options.Rounds == 0 && !options.Failover && options.SoakMinutes == 0 && options.StormConnections == 0)
{
    Console.Error.WriteLine("Nothing to run: --rounds 0 without --failover, --soak or --storm.\n\n" + BenchmarkOptions.Usage);
    return 2;
}

RunHeader.Print(options);
Console.WriteLine($"RabbitHa benchmark: {options}");

ContainerCluster? cluster = null;
Uri uri;
if (options.Uri is { } given)
{
    uri = given;
}
else
{
    cluster = new ContainerClusterBuilder().WithLog(line => Console.WriteLine("  cluster: " + line)).Build();
    await cluster.StartAsync();
    uri = cluster.AmqpUri;
    RunHeader.PrintCluster(cluster);
}

try
{
    var queue = "bench-" + Guid.NewGuid().ToString("N")[..8];
    await BrokerAdmin.DeclareQueueAsync(uri, queue);

    if (options.Rounds > 0)
    {
        var throughput = await Throughput.RunAsync(uri, queue, options);
        Console.WriteLine();
        Console.WriteLine(throughput);
    }

    if (options.Failover)
    {
        var failover = await Failover.RunAsync(cluster!, queue, options);
        Console.WriteLine();
        Console.WriteLine(failover);
    }

    if (options.StormConnections > 0)
    {
        var storm = await ReconnectStorm.RunAsync(cluster!, options);
        Console.WriteLine();
        Console.WriteLine(storm);
    }

    if (options.SoakMinutes > 0)
    {
        var soak = await Soak.RunAsync(uri, cluster, queue, options);
        Console.WriteLine();
        Console.WriteLine(soak);
    }

    // MassTransit declared an exchange named after the queue: both go.
    await BrokerAdmin.DeleteQueueAndExchangeAsync(uri, queue);
}
finally
{
    if (cluster is not null)
    {
        await cluster.DisposeAsync();
    }
}

return 0;
