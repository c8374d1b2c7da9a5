using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitHa.Testing;
using RabbitHa.Testing.Xunit;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Client.IntegrationTests.Consuming;

/// <summary>Consumers while nodes die: they come back by themselves and no confirmed message is lost.</summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", "Chaos")]
public sealed class ConsumerChaosTests(RabbitHaClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan s_recoveryTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan s_resumeTimeout = TimeSpan.FromSeconds(45);

    private IRabbitHaCluster Cluster => fixture.Cluster;

    [DockerFact]
    public async Task KillTheNodeOfEachConsumer_WhileMessagesFlow_AllResumeByThemselves_AndNoConfirmedMessageIsLost()
    {
        await using TestQueue testQueue = await TestAmqp.DeclareMirroredQueueAsync(Cluster, "consumer-chaos");
        string queue = testQueue.Name;

        var log = new DeliveryLog();
        var store = new InMemoryRabbitHaDeduplicationStore();
        string[] consumers = Enumerable.Range(1, 3).Select(i => $"chaos-consumer-{i}-{queue}").ToArray();
        IHost[] hosts = consumers.Select(name => ConsumerHost.Build(Cluster, output, name, queue, log, new HandlerBehavior
        {
            BeforeHandled = (_, token) => Task.Delay(TimeSpan.FromMilliseconds(2), token),
        }, o =>
        {
            o.DeduplicateByMessageId = true;
            o.PrefetchCount = 16;
            o.Concurrency = 2;
        }, store)).ToArray();
        var recoveredAt = new long[consumers.Length];
        using var producing = new CancellationTokenSource();
        await using var producer = new TestProducer(Cluster.AmqpUri, queue, output);
        Task<int> production = Task.FromResult(0);
        var report = new List<string>();
        try
        {
            for (int i = 0; i < hosts.Length; i++)
            {
                int index = i;
                await hosts[i].StartAsync();
                hosts[i].Services.GetRequiredService<IRabbitHaConnection>().ConnectionRecovered +=
                    (_, _) => Volatile.Write(ref recoveredAt[index], Stopwatch.GetTimestamp());
            }

            foreach (IHost host in hosts)
            {
                await host.WaitUntilSubscribedAsync();
            }

            // About 40 messages a second, for as long as the kills take.
            production = Task.Run(() => producer.RunAsync(5_000, TimeSpan.FromMilliseconds(25), producing.Token));
            await Eventually.HoldsAsync(() => Task.FromResult(consumers.All(c => log.HandledBy(c) > 0)), s_resumeTimeout, "every consumer delivers");

            // Consumer by consumer, the node it is connected to right now (a recovery may have moved it), one
            // node at a time and back before the next: with pause_minority, two nodes down stop the third.
            for (int victim = 0; victim < consumers.Length; victim++)
            {
                int[] nodes = await CurrentNodesAsync(consumers);
                int node = nodes[victim];
                int[] onNode = Enumerable.Range(0, consumers.Length).Where(i => nodes[i] == node).ToArray();
                long killedAt = Stopwatch.GetTimestamp();
                await Cluster.Nodes[node - 1].KillAsync();
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} killed rmq{node}, the node of {string.Join(", ", onNode.Select(i => consumers[i]))}");
                try
                {
                    for (int i = 0; i < consumers.Length; i++)
                    {
                        int index = i;
                        bool wasOnNode = onNode.Contains(i);

                        // A consumer of the killed node has delivered again when it handled a message after its
                        // connection recovered; the others after the kill (they may have been cancelled by the failover).
                        await Eventually.HoldsAsync(() =>
                        {
                            long since = wasOnNode ? Volatile.Read(ref recoveredAt[index]) : killedAt;
                            return Task.FromResult(since >= killedAt && log.FirstHandledAfter(consumers[index], since) is not null);
                        }, s_resumeTimeout, $"{consumers[i]} delivers again after rmq{node} was killed");

                        long since = wasOnNode ? recoveredAt[i] : killedAt;
                        TimeSpan resumed = Stopwatch.GetElapsedTime(killedAt, log.FirstHandledAfter(consumers[i], since)!.Value);
                        string line = wasOnNode
                            ? $"rmq{node} killed: {consumers[i]} (on it) recovered its connection after {Stopwatch.GetElapsedTime(killedAt, recoveredAt[i]).TotalSeconds:F2} s and delivered again after {resumed.TotalSeconds:F2} s"
                            : $"rmq{node} killed: {consumers[i]} (elsewhere) delivering {resumed.TotalSeconds:F2} s after the kill";
                        report.Add(line);
                        output.WriteLine(line);
                    }
                }
                finally
                {
                    await Cluster.Nodes[node - 1].StartAsync();
                }

                await Cluster.WaitUntilHealthyAsync(s_recoveryTimeout);

                // Killing a master before its restarted mirror has synchronised would test the broker, not the consumer.
                await Eventually.HoldsAsync(async () => await Cluster.GetQueueReplicasAsync(queue) is { SynchronisedMirrors.Count: 2 },
                    s_recoveryTimeout, "the queue is mirrored on every node again");
            }

            await producing.CancelAsync();
            int sent = await production;
            string[] confirmed = [.. producer.Confirmed];
            await Eventually.HoldsAsync(() => Task.FromResult(confirmed.All(log.HandledIds().Contains)), TimeSpan.FromSeconds(60),
                "every confirmed message is handled");

            string[] lost = confirmed.Except(log.HandledIds(), StringComparer.Ordinal).ToArray();
            int duplicates = log.CountsById().Values.Sum(n => n - 1);
            output.WriteLine($"{sent} published, {confirmed.Length} confirmed, {producer.Retries} publish retries; {log.HandledCount} handlings, " +
                $"{duplicates} duplicate handling(s), lost: {lost.Length}");
            foreach (string line in report)
            {
                output.WriteLine(line);
            }

            Assert.Empty(lost);
            Assert.True(confirmed.Length > 100, $"only {confirmed.Length} messages were confirmed");
        }
        finally
        {
            await producing.CancelAsync();
            await production;
            foreach (IHost host in hosts)
            {
                await host.StopAsync();
                host.Dispose();
            }

            await Cluster.WaitUntilHealthyAsync(s_recoveryTimeout);
        }
    }

    private async Task<int[]> CurrentNodesAsync(string[] consumers)
    {
        var nodes = new int[consumers.Length];
        for (int i = 0; i < consumers.Length; i++)
        {
            // The management API lists a new connection with its next statistics emission, within seconds.
            int? node = null;
            string name = consumers[i];
            await Eventually.HoldsAsync(async () => (node = (await Cluster.FindConnectionNodeAsync(name))?.Number) is not null,
                TimeSpan.FromSeconds(30), $"the management API lists the connection of {name}");
            nodes[i] = node!.Value;
            output.WriteLine($"{name} is connected to rmq{nodes[i]}");
        }

        return nodes;
    }
}
