using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitHa.Client;
using RabbitHa.Redis.Tests.Support;
using RabbitHa.Testing;
using RabbitHa.Testing.Xunit;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace RabbitHa.Redis.Tests.Chaos;

/// <summary>
/// Two consumer applications (generic hosts) on one quorum queue, deduplicating through one Redis, and a producer application
/// publishing messages with unique ids. The producer's node killed: its re-sends are dropped, every confirmed message is handled
/// exactly once across both. Redis killed mid-run: nothing is lost; with FailClosed still exactly once, with FailOpen handled
/// meanwhile (duplicates counted).
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", "Chaos")]
public sealed class RedisDeduplicationChaosTests(RabbitHaClusterFixture fixture, ITestOutputHelper output)
{
    private const int Concurrency = 4;
    private static readonly TimeSpan s_recoveryTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan s_handledTimeout = TimeSpan.FromSeconds(120);

    private IRabbitHaCluster Cluster => fixture.Cluster;

    private ITestOutputHelper Output => output;

    [RedisAndClusterFact]
    public async Task TwoConsumerHosts_WhenTheProducersNodeIsKilled_HandleEveryConfirmedMessageExactlyOnce()
    {
        const int messageCount = 3_000;
        await using RedisServer redis = await RedisServer.StartAsync();
        // OperationTimeout at its default (2 s): a record that took longer on this loaded machine would be given up on, and a copy
        // of its message handled again, which is the store's documented trade-off rather than what this test is about.
        await using var run = await Run.StartAsync(this, redis, RedisUnavailableBehavior.FailClosed, TimeSpan.FromSeconds(2));
        IRabbitHaClusterNode? node = null;
        await Eventually.HoldsAsync(async () => (node = await Cluster.FindConnectionNodeAsync(run.ProducerName + RabbitHaDiagnostics.PublisherConnectionNameSuffix)) is not null,
            TimeSpan.FromSeconds(30), "the producer's publishing connection is listed");
        QueueReplicaState? leader = await Cluster.GetQueueReplicasAsync(run.Queue);
        output.WriteLine($"Producer publishing on {node?.HostName}, queue leader {leader?.LeaderNode}; killing {node?.HostName} at message {messageCount / 3}.");

        try
        {
            await run.PublishAsync(messageCount, pause: TimeSpan.Zero, at: messageCount / 3, () => node!.KillAsync());
        }
        finally
        {
            await node!.StartAsync();
        }

        await Cluster.WaitUntilHealthyAsync(s_recoveryTimeout);
        await run.WaitUntilEveryConfirmedMessageIsHandledAsync();
        output.WriteLine(run.Report($"{node?.HostName} (the producer's node) killed at message {messageCount / 3}"));

        Assert.Empty(run.PublishFailures);
        Assert.Equal(messageCount, run.Confirmed.Count);
        Assert.Empty(run.Lost());
        Assert.Empty(run.HandledMoreThanOnce());
        Assert.All(run.Hosts, host => Assert.True(run.Handlings.HandledBy(host) > 0, $"{host} handled nothing"));
    }

    [RedisAndClusterFact]
    public Task TwoConsumerHosts_WhenRedisIsKilledMidRun_FailClosed_LoseNothing_AndHandleEachMessageOnceItIsBack() =>
        RedisKilledMidRunAsync(RedisUnavailableBehavior.FailClosed);

    [RedisAndClusterFact]
    public Task TwoConsumerHosts_WhenRedisIsKilledMidRun_FailOpen_LoseNothing_AndHandleMeanwhile() =>
        RedisKilledMidRunAsync(RedisUnavailableBehavior.FailOpen);

    private async Task RedisKilledMidRunAsync(RedisUnavailableBehavior whenUnavailable)
    {
        // About 200 messages a second for some 15 s; Redis killed after about 4 s and started again 6 s later, empty (nothing is
        // saved): messages flow before, during and after the outage.
        const int messageCount = 3_000;
        const int killAt = 750;
        TimeSpan outage = TimeSpan.FromSeconds(6);
        await using RedisServer redis = await RedisServer.StartAsync();
        using var unavailable = new MeasurementRecorder(RedisDeduplicationDiagnostics.StoreUnavailableInstrument);
        await using var run = await Run.StartAsync(this, redis, whenUnavailable, TimeSpan.FromSeconds(1));
        long killedAt = 0, backAt = 0;
        Task outageDone = Task.CompletedTask;

        try
        {
            await run.PublishAsync(messageCount, pause: TimeSpan.FromMilliseconds(80), at: killAt, () =>
            {
                outageDone = Task.Run(async () =>
                {
                    await redis.KillAsync();
                    killedAt = Stopwatch.GetTimestamp();
                    output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} Redis killed (SIGKILL) at message {killAt}, {run.Handlings.Total} handlings so far.");
                    await Task.Delay(outage);
                    backAt = Stopwatch.GetTimestamp();
                    await redis.RestartAsync();
                    output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} Redis started again, {run.Handlings.Total} handlings so far.");
                });
                return Task.CompletedTask;
            });
            await outageDone;
        }
        finally
        {
            await outageDone.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (redis.ProcessId is null)
            {
                await redis.RestartAsync();
            }
        }

        await run.WaitUntilEveryConfirmedMessageIsHandledAsync();
        int duringOutage = run.Handlings.HandledBetween(killedAt, backAt);
        string mode = whenUnavailable == RedisUnavailableBehavior.FailOpen ? "fail_open" : "fail_closed";
        long claimsUnavailable = unavailable.Measurements
            .Where(m => Equals(m.Tags[RedisDeduplicationDiagnostics.ScopeTag], run.Queue) && Equals(m.Tags[RedisDeduplicationDiagnostics.WhenUnavailableTag], mode)
                && Equals(m.Tags[RedisDeduplicationDiagnostics.OperationTag], "claim"))
            .Sum(m => m.Value);
        long allUnavailable = unavailable.Measurements.Where(m => Equals(m.Tags[RedisDeduplicationDiagnostics.ScopeTag], run.Queue)).Sum(m => m.Value);
        output.WriteLine(run.Report(
            $"Redis killed for {outage.TotalSeconds:F0} s ({whenUnavailable}): {duringOutage} handlings while it was down, " +
            $"{claimsUnavailable} claims and {allUnavailable} store calls in all found it unavailable ({RedisDeduplicationDiagnostics.StoreUnavailableInstrument})"));

        Assert.Empty(run.PublishFailures);
        Assert.Equal(messageCount, run.Confirmed.Count);
        Assert.Empty(run.Lost());
        Assert.True(claimsUnavailable > 0, "no claim found Redis unavailable: the outage did not hit the consumers");
        if (whenUnavailable == RedisUnavailableBehavior.FailClosed)
        {
            // Only claims granted before the kill may end in a handling while Redis is away: one per handler slot at most.
            Assert.InRange(duringOutage, 0, run.Hosts.Length * Concurrency);
            Assert.Empty(run.HandledMoreThanOnce());
        }
        else
        {
            Assert.True(duringOutage > 0, "FailOpen handled nothing while Redis was away");
        }
    }

    /// <summary>One test's applications: a producer host and two consumer hosts on one quorum queue, and the books.</summary>
    private sealed class Run : IAsyncDisposable
    {
        private readonly RedisDeduplicationChaosTests _test;
        private readonly List<IHost> _hosts = [];
        private readonly MeasurementRecorder _duplicatesDropped = new(RabbitHaConsumerDiagnostics.DuplicatesDroppedInstrument);
        private IHost? _producer;

        private Run(RedisDeduplicationChaosTests test)
        {
            _test = test;
            Queue = "redis-dedupe-" + Guid.NewGuid().ToString("N")[..12];
            ProducerName = "producer-" + Queue;
            Hosts = [$"consumer-1-{Queue}", $"consumer-2-{Queue}"];
        }

        public string Queue { get; }

        public string ProducerName { get; }

        public string[] Hosts { get; }

        public Handlings Handlings { get; } = new();

        public ConcurrentDictionary<string, bool> Confirmed { get; } = new(StringComparer.Ordinal);

        public ConcurrentBag<Exception> PublishFailures { get; } = [];

        private IRabbitHaCluster Cluster => _test.Cluster;

        public static async Task<Run> StartAsync(RedisDeduplicationChaosTests test, RedisServer redis, RedisUnavailableBehavior whenUnavailable, TimeSpan operationTimeout)
        {
            var run = new Run(test);
            try
            {
                run._producer = run.Build(run.ProducerName, rabbit => rabbit.AddPublisher());
                await run._producer.StartAsync();
                foreach (string name in run.Hosts)
                {
                    IHost host = run.Build(name, rabbit => rabbit
                        .AddConsumer<CountingHandler>(run.Queue, o =>
                        {
                            o.DeduplicateByMessageId = true;
                            o.PrefetchCount = 32;
                            o.Concurrency = Concurrency;
                        })
                        .AddRedisDeduplication(o =>
                        {
                            o.Configuration = redis.Configuration;
                            o.KeyPrefix = $"rabbitha-chaos:{run.Queue}:";
                            o.OperationTimeout = operationTimeout;
                            o.WhenUnavailable = whenUnavailable;
                        }), services => services.AddSingleton(new ConsumerHostName(name)));
                    run._hosts.Add(host);
                    await host.StartAsync();
                }
            }
            catch
            {
                await run.DisposeAsync();
                throw;
            }

            return run;
        }

        /// <summary>Publishes <paramref name="count"/> messages (ids 0, 1, ...) from 20 callers at once, each pausing <paramref name="pause"/> between its publishes; <paramref name="fault"/> runs when message <paramref name="at"/> is reached.</summary>
        public async Task PublishAsync(int count, TimeSpan pause, int at, Func<Task> fault)
        {
            IRabbitHaPublisher publisher = _producer!.Services.GetRequiredService<IRabbitHaPublisher>();
            int next = -1;
            Task faulting = Task.CompletedTask;
            Task[] callers = Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < count)
                {
                    if (i == at)
                    {
                        faulting = Task.Run(fault);
                    }

                    string id = i.ToString(CultureInfo.InvariantCulture);
                    try
                    {
                        await publisher.PublishAsync(string.Empty, Queue, Encoding.UTF8.GetBytes(id), new BasicProperties { MessageId = id });
                        Confirmed[id] = true;
                    }
                    catch (Exception ex)
                    {
                        PublishFailures.Add(ex);
                    }

                    if (pause > TimeSpan.Zero)
                    {
                        await Task.Delay(pause);
                    }
                }
            })).ToArray();
            await Task.WhenAll(callers);
            await faulting;
        }

        /// <summary>Waits until every confirmed message was handled, then until nothing was handled for 3 s, so that late duplicates are counted too.</summary>
        public async Task WaitUntilEveryConfirmedMessageIsHandledAsync()
        {
            await Eventually.HoldsAsync(() => Task.FromResult(Confirmed.Keys.All(Handlings.HasHandled)), s_handledTimeout,
                $"every confirmed message is handled ({Handlings.Distinct} of {Confirmed.Count} so far)");
            await Eventually.HoldsAsync(() => Task.FromResult(Handlings.SinceLast > TimeSpan.FromSeconds(3)), TimeSpan.FromSeconds(30), "the consumers are idle");
        }

        public string[] Lost() => Confirmed.Keys.Where(id => !Handlings.HasHandled(id)).ToArray();

        public KeyValuePair<string, int>[] HandledMoreThanOnce() => Handlings.Counts.Where(c => c.Value > 1).ToArray();

        public string Report(string fault)
        {
            long dropped = _duplicatesDropped.Sum(RabbitHaConsumerDiagnostics.ConsumerNameTag, Queue);
            return $"{fault}: published {Confirmed.Count + PublishFailures.Count}, confirmed {Confirmed.Count}, publish exceptions {PublishFailures.Count}; " +
                $"handled {Handlings.Total} times ({Handlings.Distinct} distinct; {string.Join(", ", Hosts.Select(h => $"{h[..10]} {Handlings.HandledBy(h)}"))}), " +
                $"handled more than once {HandledMoreThanOnce().Length}, lost {Lost().Length}; duplicates dropped by the store {dropped}, " +
                $"handled copies marked resent {Handlings.Resent}, redelivered {Handlings.Redelivered}.";
        }

        public async ValueTask DisposeAsync()
        {
            foreach (IHost host in _hosts)
            {
                await StopQuietlyAsync(host);
            }

            if (_producer is not null)
            {
                await StopQuietlyAsync(_producer);
            }

            _duplicatesDropped.Dispose();
            try
            {
                await Cluster.WaitUntilHealthyAsync(s_recoveryTimeout);
                var factory = new ConnectionFactory { Uri = Cluster.AmqpUri, AutomaticRecoveryEnabled = false };
                await using IConnection connection = await factory.CreateConnectionAsync("test-cleanup");
                await using IChannel channel = await connection.CreateChannelAsync();
                await channel.QueueDeleteAsync(Queue, ifUnused: false, ifEmpty: false);
                await channel.QueueDeleteAsync(Queue + ".dead-letter", ifUnused: false, ifEmpty: false);
            }
            catch (Exception ex)
            {
                _test.Output.WriteLine($"Cleaning up queue {Queue} failed: {ex.GetType().Name}: {ex.Message}");
            }
        }

        private IHost Build(string name, Action<IRabbitHaBuilder> rabbit, Action<IServiceCollection>? services = null) =>
            RabbitHaTestHost.Build(
                Cluster.AmqpUri,
                name,
                // At most 400 lines, without stack traces: a Redis outage logs a warning per message.
                new XunitLoggerProvider(_test.Output) { MaxLines = 400, FullExceptions = false },
                rabbitHa => rabbit(rabbitHa.AddTopology(t => t.Queues.Add(new RabbitHaQueueDefinition { Name = Queue, Type = RabbitHaQueueType.Quorum }))),
                services: s =>
                {
                    s.AddSingleton(Handlings);
                    services?.Invoke(s);
                });

        private async Task StopQuietlyAsync(IHost host)
        {
            try
            {
                using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await host.StopAsync(stopping.Token);
            }
            catch (Exception ex)
            {
                _test.Output.WriteLine($"Stopping a host failed: {ex.GetType().Name}: {ex.Message}");
            }
            finally
            {
                host.Dispose();
            }
        }
    }
}
