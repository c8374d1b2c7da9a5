using RabbitMQ.Client;

namespace RabbitHa.Benchmarks;

/// <summary>
/// What the benchmark itself asks of the broker, each on a short-lived connection of its own (named <c>bench-admin</c>):
/// none of it may share a connection with a contender, whose node gets killed.
/// </summary>
internal static class BrokerAdmin
{
    /// <summary>Declares a durable queue without arguments: a classic queue mirrored by the cluster's policy on RabbitMQ 3, a quorum queue (the virtual host's default) on 4.</summary>
    public static Task DeclareQueueAsync(Uri uri, string queue) =>
        WithChannelAsync(uri, channel => channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false));

    public static Task PurgeAsync(Uri uri, string queue) => WithChannelAsync(uri, channel => channel.QueuePurgeAsync(queue));

    public static async Task<uint> ConsumerCountAsync(Uri uri, string queue)
    {
        uint count = 0;
        await WithChannelAsync(uri, async channel => count = await channel.ConsumerCountAsync(queue));
        return count;
    }

    /// <summary>Waits until <paramref name="expected"/> consumers are subscribed to the queue.</summary>
    public static async Task WaitForConsumersAsync(Uri uri, string queue, int expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        uint count;
        while ((count = await ConsumerCountAsync(uri, queue)) < expected)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{count} of {expected} consumers subscribed to {queue} after {timeout.TotalSeconds:F0} s.");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Deletes a queue and the exchange of the same name (MassTransit declares one for <c>queue:</c> addresses); best effort.</summary>
    public static async Task DeleteQueueAndExchangeAsync(Uri uri, string queue)
    {
        foreach (var delete in new Func<IChannel, Task>[] { c => c.QueueDeleteAsync(queue), c => c.ExchangeDeleteAsync(queue) })
        {
            try
            {
                await WithChannelAsync(uri, delete);
            }
#pragma warning disable CA1031 // Clean-up after the figures are printed: what is left costs the cluster a few bytes.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Console.WriteLine($"  (clean-up of {queue}: {ex.GetType().Name}: {ex.Message})");
            }
        }
    }

    private static async Task WithChannelAsync(Uri uri, Func<IChannel, Task> action)
    {
        await using var connection = await new ConnectionFactory { Uri = uri }.CreateConnectionAsync("bench-admin");
        await using var channel = await connection.CreateChannelAsync();
        await action(channel);
    }
}
