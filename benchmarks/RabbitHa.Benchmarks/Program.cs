using System.Globalization;
using System.Text;
using RabbitHa.Benchmarks;
using RabbitHa.Testing;
using RabbitHa.Testing.Containers;
using RabbitMQ.Client;

// Confirmed publishes per second through HAProxy: RabbitHa's publisher against the raw RabbitMQ.Client 7, in
// the same run, on the same cluster, with the same in-flight window; then (--failover) the same two with the
// producer's node killed mid-run. See README.md, "Figures".
var options = BenchmarkOptions.Parse(args);
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
}

try
{
    var queue = "bench-" + Guid.NewGuid().ToString("N")[..8];
    await using (var admin = await new ConnectionFactory { Uri = uri }.CreateConnectionAsync("bench-admin"))
    await using (var channel = await admin.CreateChannelAsync())
    {
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
    }

    var throughput = await Throughput.RunAsync(uri, queue, options);
    Console.WriteLine();
    Console.WriteLine(throughput);

    if (options.Failover)
    {
        if (cluster is null)
        {
            throw new InvalidOperationException("--failover kills nodes, so it needs the cluster the benchmark starts itself: leave out --uri.");
        }

        var failover = await Failover.RunAsync(cluster, queue, options);
        Console.WriteLine();
        Console.WriteLine(failover);
    }

    await using (var admin = await new ConnectionFactory { Uri = uri }.CreateConnectionAsync("bench-admin"))
    await using (var channel = await admin.CreateChannelAsync())
    {
        await channel.QueueDeleteAsync(queue);
    }
}
finally
{
    if (cluster is not null)
    {
        await cluster.DisposeAsync();
    }
}

/// <summary>Command-line options.</summary>
internal sealed record BenchmarkOptions(int Messages, int SerialMessages, int Window, int Rounds, Uri? Uri, bool Failover)
{
    public static BenchmarkOptions Parse(string[] args)
    {
        var options = new BenchmarkOptions(20_000, 2_000, 100, 3, null, false);
        for (var i = 0; i < args.Length; i++)
        {
            options = args[i] switch
            {
                "--messages" => options with { Messages = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--serial-messages" => options with { SerialMessages = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--window" => options with { Window = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--rounds" => options with { Rounds = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--uri" => options with { Uri = new Uri(args[++i]) },
                "--failover" => options with { Failover = true },
                _ => throw new ArgumentException(
                    $"Unknown option '{args[i]}'. Options: --messages N, --serial-messages N, --window N, --rounds N, --uri amqp://..., --failover"),
            };
        }

        return options;
    }

    public override string ToString()
    {
        var builder = new StringBuilder();
        builder.Append(CultureInfo.InvariantCulture, $"{Messages} messages of 256 B per run, window {Window}, {Rounds} round(s), one-at-a-time loop {SerialMessages} messages");
        builder.Append(Uri is null ? ", own cluster" : $", cluster at {Uri.Host}:{Uri.Port}");
        builder.Append(Failover ? ", failover runs" : string.Empty);
        return builder.ToString();
    }
}
