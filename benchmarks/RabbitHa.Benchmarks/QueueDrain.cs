using System.Collections.Concurrent;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace RabbitHa.Benchmarks;

/// <summary>
/// What a publisher-only run left in its queue: consumed after the run, once the cluster is whole again, until the queue
/// stays empty. Every copy in the queue is one delivery, so deliveries minus distinct ids are the duplicates the
/// publisher made, and confirmed ids not among them were lost.
/// </summary>
internal static class QueueDrain
{
    public static async Task<(HashSet<int> Distinct, int Deliveries)> DrainAsync(Uri uri, string queue)
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
            ids[MessageIds.Parse(delivery.BasicProperties.MessageId)] = true;
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
}
