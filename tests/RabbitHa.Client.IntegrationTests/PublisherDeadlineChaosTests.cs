using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using RabbitHa.Testing;
using RabbitHa.Testing.Xunit;
using RabbitMQ.Client;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Client.IntegrationTests;

/// <summary>
/// PublishTimeout is the whole deadline of a publish, the wait for a window slot included: with the cluster out of
/// reach, every caller hears TimedOut within PublishTimeout of its own call, however many wait behind the window,
/// and the bodies they hold do not pile up.
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", "Chaos")]
public sealed class PublisherDeadlineChaosTests(RabbitHaClusterFixture fixture, ITestOutputHelper output)
{
    private const int MaxInFlight = 10;

    // Five times the window: 40 callers wait for a slot, far below MaxWaitingPublishes (10 000 by default), so that
    // every failure is the deadline's, not the bound's.
    private const int Callers = 5 * MaxInFlight;
    private const int Rounds = 3;
    private const long MemoryGrowthLimit = 16L * 1024 * 1024;

    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan HealthyTimeout = TimeSpan.FromMinutes(2);

    private IRabbitHaCluster Cluster => fixture.Cluster;

    [DockerFact]
    public async Task PublishAsync_WhileHaProxyIsDownLongerThanPublishTimeout_EveryCallEndsTimedOutWithinItsDeadline()
    {
        await using var testQueue = TestQueue.Named(Cluster.AmqpUri, "deadline");
        var queue = testQueue.Name;
        await using var app = await PublishingTestApp.ConnectAsync(
            Cluster.AmqpUri, "deadline-" + Guid.NewGuid().ToString("N"), new XunitLoggerProvider(output), queue, o =>
            {
                o.MaxInFlight = MaxInFlight;
                o.PublishTimeout = PublishTimeout;
                o.ConfirmTimeout = PublishTimeout;
            });
        var connection = app.PublisherConnection;
        var publisher = app.Publisher;
        await publisher.PublishAsync(string.Empty, queue, Encoding.UTF8.GetBytes("before"));
        var baseline = Memory();
        var afterRounds = new List<long>();

        await Cluster.Proxy.StopAsync();
        try
        {
            await Eventually.HoldsAsync(() => Task.FromResult(connection.State != RabbitHaConnectionState.Open), TimeSpan.FromSeconds(15),
                "the publishing connection noticed that HAProxy is gone");

            // Three rounds, 15 s in all, three times PublishTimeout: the outage outlasts every deadline.
            for (var round = 0; round < Rounds; round++)
            {
                var outcomes = await Task.WhenAll(Enumerable.Range(0, Callers).Select(i => TimedPublishAsync(publisher, queue, i)));
                var slowest = outcomes.Max(o => o.Elapsed);
                output.WriteLine($"Round {round + 1}: {outcomes.Count(o => o.Reason == RabbitHaPublishFailureReason.TimedOut)}/{Callers} TimedOut, slowest after {slowest.TotalSeconds:F2} s.");

                Assert.All(outcomes, o => Assert.Equal(RabbitHaPublishFailureReason.TimedOut, o.Reason));
                Assert.All(outcomes, o => Assert.InRange(o.Elapsed, PublishTimeout - Slack, PublishTimeout + Slack));
                afterRounds.Add(Memory());
            }
        }
        finally
        {
            await Cluster.Proxy.StartAsync();
        }

        output.WriteLine($"Managed memory: {baseline / 1024} KiB before, {string.Join(", ", afterRounds.Select(m => $"{m / 1024} KiB"))} after each round.");
        Assert.All(afterRounds, m => Assert.InRange(m - baseline, long.MinValue, MemoryGrowthLimit));

        await Cluster.WaitUntilHealthyAsync(HealthyTimeout);
        var recovered = Stopwatch.StartNew();
        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                await publisher.PublishAsync(string.Empty, queue, Encoding.UTF8.GetBytes("after"));
                return true;
            }
            catch (RabbitHaPublishException ex) when (ex.Reason == RabbitHaPublishFailureReason.TimedOut)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), "a publish is confirmed once HAProxy is back");
        output.WriteLine($"First confirm {recovered.Elapsed.TotalSeconds:F1} s after the cluster was healthy again.");
    }

    private static async Task<(RabbitHaPublishFailureReason? Reason, TimeSpan Elapsed)> TimedPublishAsync(IRabbitHaPublisher publisher, string queue, int i)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await publisher.PublishAsync(string.Empty, queue, Encoding.UTF8.GetBytes($"m{i}"));
            return (null, clock.Elapsed);
        }
        catch (RabbitHaPublishException ex)
        {
            return (ex.Reason, clock.Elapsed);
        }
    }

    private static long Memory()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
