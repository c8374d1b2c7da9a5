using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using RabbitHa.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace RabbitHa.Benchmarks;

/// <summary>
/// Each contender publishes with the same window while the node holding its own connection is killed (SIGKILL) a
/// third of the way in; then the queue is drained to count what was lost and duplicated.
/// </summary>
internal static class Failover
{
    public static async Task<string> RunAsync(IRabbitHaCluster cluster, string queue, BenchmarkOptions options)
    {
        var rows = new List<string>();
        var contenders = new (string Name, Func<Task<IContender>> Create)[]
        {
            ($"raw, window {options.Window}", async () => await RawClientContender.CreateAsync(cluster.AmqpUri, queue)),
            ($"RabbitHa, {options.Window} callers", async () => await RabbitHaContender.CreateAsync(cluster.AmqpUri, queue, options.Window)),
        };

        foreach (var (name, create) in contenders)
        {
            await cluster.WaitUntilHealthyAsync(TimeSpan.FromSeconds(120));
            await PurgeAsync(cluster.AmqpUri, queue);
            await using var contender = await create();
            var node = await FindNodeAsync(cluster, contender.ConnectionName);
            Console.WriteLine($"Failover, {name}: its connection is on rmq{node}; killing it after {options.Messages / 3} messages.");

            var killAt = options.Messages / 3;
            Task? kill = null;
            RunResult result;
            try
            {
                result = await PublishRun.RunAsync(name, options.Messages, options.Window, contender.PublishAsync, i =>
                {
                    if (i == killAt)
                    {
                        kill = cluster.KillNodeAsync(node);
                    }

                    return Task.CompletedTask;
                });
                await (kill ?? Task.CompletedTask);
            }
            finally
            {
                await cluster.StartNodeAsync(node);
            }

            await cluster.WaitUntilHealthyAsync(TimeSpan.FromSeconds(120));
            var (distinct, deliveries) = await DrainAsync(cluster.AmqpUri, queue);
            var lost = result.Confirmed.Count(id => !distinct.Contains(id));
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {result.Exceptions} | {result.LongestPause.TotalMilliseconds:F0} ms | {result.Confirmed.Count} | {lost} | {deliveries - distinct.Count} | {result.MessagesPerSecond:F0} |"));
            Console.WriteLine("  " + rows[^1]);
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Failover: kill -9 of the producer's node after {options.Messages / 3} of {options.Messages} messages");
        text.AppendLine();
        text.AppendLine("| publisher | exceptions at the caller | longest pause between confirms | confirmed | lost | duplicates | msg/s |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            text.AppendLine(row);
        }

        return text.ToString().TrimEnd();
    }

    private static async Task<int> FindNodeAsync(IRabbitHaCluster cluster, string connectionName)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await cluster.FindConnectionNodeAsync(connectionName) is { } node)
            {
                return node;
            }

            await Task.Delay(200);
        }

        throw new InvalidOperationException($"Connection {connectionName} does not show up in the management API.");
    }

    /// <summary>Consumes the queue until it stays empty; returns the distinct message ids and the number of deliveries.</summary>
    private static async Task<(HashSet<int> Distinct, int Deliveries)> DrainAsync(Uri uri, string queue)
    {
        var ids = new ConcurrentDictionary<int, bool>();
        var deliveries = 0;
        await using var connection = await new ConnectionFactory { Uri = uri }.CreateConnectionAsync("bench-drain");
        await using var channel = await connection.CreateChannelAsync();
        await channel.BasicQosAsync(0, 1000, false);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            Interlocked.Increment(ref deliveries);
            ids[int.Parse(delivery.BasicProperties.MessageId!, CultureInfo.InvariantCulture)] = true;
            return Task.CompletedTask;
        };
        var tag = await channel.BasicConsumeAsync(queue, autoAck: true, consumer);
        var quiet = 0;
        var seen = -1;
        while (quiet < 10)
        {
            await Task.Delay(200);
            var now = Volatile.Read(ref deliveries);
            quiet = now == seen && await channel.MessageCountAsync(queue) == 0 ? quiet + 1 : 0;
            seen = now;
        }

        await channel.BasicCancelAsync(tag);
        return (ids.Keys.ToHashSet(), deliveries);
    }

    private static async Task PurgeAsync(Uri uri, string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = uri }.CreateConnectionAsync("bench-admin");
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueuePurgeAsync(queue);
    }
}
