using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using RabbitHa.Testing;
using RabbitHa.Testing.Xunit;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Client.IntegrationTests;

/// <summary>
/// The heart of the product: a producer publishing with confirms through HAProxy while a node is killed
/// (SIGKILL). Every publish that returned must be consumed; no publish may throw at the caller.
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", "Chaos")]
public sealed class PublisherFailoverTests(RabbitHaClusterFixture fixture, ITestOutputHelper output)
{
    private const int MessageCount = 20_000;
    private const int Concurrency = 100;

    private IRabbitHaCluster Cluster => fixture.Cluster;

    [DockerFact]
    public Task PublishAsync_WhenNode1IsKilledMidRun_LosesNothingAndThrowsNothing() => RunAsync(nodeToKill: 1);

    [DockerFact]
    public Task PublishAsync_WhenNode2IsKilledMidRun_LosesNothingAndThrowsNothing() => RunAsync(nodeToKill: 2);

    [DockerFact]
    public Task PublishAsync_WhenNode3IsKilledMidRun_LosesNothingAndThrowsNothing() => RunAsync(nodeToKill: 3);

    [DockerFact]
    public async Task PublishAsync_WhenTheProducersNodeIsKilled_ResendsUnconfirmedWithinTheWindow()
    {
        // Whichever node HAProxy gave the producer: the case where the raw client throws thousands of publishes.
        await RunAsync(nodeToKill: null);
    }

    private async Task RunAsync(int? nodeToKill)
    {
        var queue = "failover-" + Guid.NewGuid().ToString("N");
        var producerName = "producer-" + Guid.NewGuid().ToString("N");
        await using var app = await PublishingTestApp.ConnectAsync(Cluster.AmqpUri, producerName, new XunitLoggerProvider(output), queue);
        var publisher = app.Publisher;
        await using var consumer = await Consumer.StartAsync(Cluster.AmqpUri, queue);

        int? producerNode = null;
        await Eventually.HoldsAsync(async () => (producerNode = (await Cluster.FindConnectionNodeAsync(producerName + RabbitHaDiagnostics.PublisherConnectionNameSuffix))?.Number) is not null,
            TimeSpan.FromSeconds(15), "the producer's connection is listed");
        var master = await Cluster.GetQueueReplicasAsync(queue);
        var victim = nodeToKill ?? producerNode!.Value;
        output.WriteLine($"Producer on rmq{producerNode}, queue master on {master?.LeaderNode}; killing rmq{victim}.");

        var confirmed = new ConcurrentDictionary<string, bool>();
        var failures = new ConcurrentBag<Exception>();
        var pauses = new ConfirmGapMeter();
        var next = -1;
        var killAt = MessageCount / 3;
        var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = Stopwatch.StartNew();
        try
        {
            var producers = Enumerable.Range(0, Concurrency).Select(worker => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < MessageCount)
                {
                    if (i == killAt)
                    {
                        _ = Task.Run(async () =>
                        {
                            await Cluster.Nodes[victim - 1].KillAsync();
                            killed.SetResult();
                        });
                    }

                    var id = i.ToString(CultureInfo.InvariantCulture);
                    try
                    {
                        await publisher.PublishAsync(string.Empty, queue, Encoding.UTF8.GetBytes(id), new BasicProperties { MessageId = id });
                        confirmed[id] = true;
                        pauses.Tick();
                    }
                    catch (Exception ex)
                    {
                        failures.Add(ex);
                    }
                }
            })).ToArray();
            await Task.WhenAll(producers);
            await killed.Task;
        }
        finally
        {
            await Cluster.Nodes[victim - 1].StartAsync();
        }

        var publishTime = clock.Elapsed;
        var received = await Eventually.HoldsAsync(
            () => Task.FromResult(confirmed.Keys.All(consumer.Received.ContainsKey)),
            TimeSpan.FromSeconds(60),
            "every confirmed message is consumed").ContinueWith(_ => consumer.Received, TaskScheduler.Default);
        var lost = confirmed.Keys.Count(id => !received.ContainsKey(id));
        var duplicates = consumer.Deliveries - received.Count;
        output.WriteLine(
            $"Killed rmq{victim} (producer on rmq{producerNode}, master {master?.LeaderNode}): published {MessageCount} in {publishTime.TotalSeconds:F1} s " +
            $"({MessageCount / publishTime.TotalSeconds:F0} msg/s), confirmed {confirmed.Count}, exceptions {failures.Count}, " +
            $"consumed {received.Count} distinct ({consumer.Deliveries} deliveries, {duplicates} duplicates, {consumer.MarkedResent} marked resent), " +
            $"lost {lost}, longest pause between confirms {pauses.Longest.TotalMilliseconds:F0} ms.");

        Assert.Empty(failures);
        Assert.Equal(MessageCount, confirmed.Count);
        Assert.Equal(0, lost);
        await Cluster.WaitUntilHealthyAsync(TimeSpan.FromSeconds(90));
    }


    /// <summary>A plain RabbitMQ.Client consumer with its own automatic recovery, acking every delivery.</summary>
    private sealed class Consumer : IAsyncDisposable
    {
        private readonly IConnection _connection;
        private readonly IChannel _channel;
        private int _deliveries;
        private int _markedResent;

        private Consumer(IConnection connection, IChannel channel)
        {
            _connection = connection;
            _channel = channel;
        }

        public ConcurrentDictionary<string, bool> Received { get; } = new();

        public int Deliveries => Volatile.Read(ref _deliveries);

        public int MarkedResent => Volatile.Read(ref _markedResent);

        public static async Task<Consumer> StartAsync(Uri uri, string queue)
        {
            var factory = new ConnectionFactory { Uri = uri, NetworkRecoveryInterval = TimeSpan.FromMilliseconds(500) };
            var connection = await factory.CreateConnectionAsync("test-consumer");
            var channel = await connection.CreateChannelAsync();
            await channel.BasicQosAsync(0, 200, false);
            var consumer = new Consumer(connection, channel);
            var basic = new AsyncEventingBasicConsumer(channel);
            basic.ReceivedAsync += async (_, delivery) =>
            {
                Interlocked.Increment(ref consumer._deliveries);
                if (delivery.BasicProperties.Headers?.ContainsKey(RabbitHaHeaders.Resent) == true)
                {
                    Interlocked.Increment(ref consumer._markedResent);
                }

                consumer.Received[delivery.BasicProperties.MessageId!] = true;
                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
            };
            await channel.BasicConsumeAsync(queue, autoAck: false, basic);
            return consumer;
        }

        public async ValueTask DisposeAsync()
        {
            await _channel.DisposeAsync();
            await _connection.DisposeAsync();
        }
    }
}
