using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Runtime;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using RabbitHa.Client.Internal.Publishing;
using RabbitHa.Testing;
using RabbitHa.Testing.Xunit;
using RabbitMQ.Client;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Client.IntegrationTests;

/// <summary>
/// A message the broker refuses closes the shared publishing channel under every publish in flight. Beside a steady
/// stream of such messages, no valid publish fails, each refused one fails with its own answer, and the channels and
/// memory the application holds stay flat.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class PublisherRejectionTests(RabbitHaClusterFixture fixture, ITestOutputHelper output)
{
    // docker/rabbitmq/rabbitmq.conf sets max_message_size to 16 MiB (RabbitMQ 3.13's default, 128 MiB, would make each
    // oversized publish cost 128 MiB through HAProxy).
    private const int MaxMessageSize = 16 * 1024 * 1024;
    private const int ValidInFlight = 200;
    private const int MinValidPublishes = 2000;
    private const int BadPublishes = 1000;
    private const long MemoryGrowthLimit = 16L * 1024 * 1024;

    // The large object heap may grow by pooled buffers: RabbitMQ.Client rents each oversized frame's buffer from
    // ArrayPool<byte>.Shared (a 32 MiB array for a 16 MiB + 1 body), and each thread that returns one may keep it (+32 and
    // +64 MiB seen). A leak of bodies copied per message would pass this within 16 of the thousand refused publishes.
    private const long LargeObjectGrowthLimit = 16L * 2 * MaxMessageSize;

    private static readonly TimeSpan BadInterval = TimeSpan.FromMilliseconds(20);

    private IRabbitHaCluster Cluster => fixture.Cluster;

    [DockerFact]
    public async Task PublishAsync_BesideMessagesTheBrokerRefuses_FailsOnlyThoseWithTheirOwnAnswer_AndHoldsChannelsAndMemoryFlat()
    {
        await using var testQueue = TestQueue.Named(Cluster.AmqpUri, "refused");
        var queue = testQueue.Name;
        var name = "refused-" + Guid.NewGuid().ToString("N");
        await using var app = await PublishingTestApp.ConnectAsync(Cluster.AmqpUri, name, new XunitLoggerProvider(output), queue);
        var publisher = app.Publisher;
        var counters = (RabbitHaPublisher)publisher;
        var oversized = new byte[MaxMessageSize + 1];
        var sameMissing = "missing-" + Guid.NewGuid().ToString("N");

        // Warm up the paths measured below, so that the baseline holds what they keep for good.
        await PublishValidAsync(publisher, queue, ValidInFlight, () => false);
        await PublishBadAsync(publisher, sameMissing, oversized, 20, TimeSpan.Zero);
        var baselineMemory = Memory();
        var baselineChannels = counters.ChannelsHeld;

        using var badDone = new CancellationTokenSource();
        var valid = PublishValidAsync(publisher, queue, MinValidPublishes, () => !badDone.IsCancellationRequested);
        var bad = await PublishBadAsync(publisher, sameMissing, oversized, BadPublishes, BadInterval);
        await badDone.CancelAsync();
        var (confirmed, validFailures) = await valid;

        output.WriteLine($"{confirmed} valid publishes confirmed, {validFailures.Count} failed; {bad.Count} refused ones; " +
            $"{counters.ChannelsOpened} channels opened, {counters.ChannelsHeld} held.");
        Assert.Empty(validFailures);
        Assert.True(confirmed >= MinValidPublishes, $"only {confirmed} valid publishes");
        Assert.Equal(BadPublishes, bad.Count);
        Assert.All(bad, b => AssertRefusedForItself(b.Message, b.Failure));

        var memory = Memory();
        output.WriteLine($"Managed memory: small objects {baselineMemory.Small / 1024} KiB before, {memory.Small / 1024} KiB after; " +
                         $"large objects {baselineMemory.Large / 1024} KiB before, {memory.Large / 1024} KiB after.");
        Assert.InRange(memory.Small - baselineMemory.Small, long.MinValue, MemoryGrowthLimit);
        Assert.InRange(memory.Large - baselineMemory.Large, long.MinValue, LargeObjectGrowthLimit);
        Assert.InRange(counters.ChannelsHeld, 1, Math.Max(2, baselineChannels));
        await Eventually.HoldsAsync(async () => await ChannelsOfAsync(name + RabbitHaDiagnostics.PublisherConnectionNameSuffix) is <= 2,
            TimeSpan.FromSeconds(30), "the broker lists at most two channels on the publishing connection");
    }

    private static void AssertRefusedForItself(RabbitHaOutgoingMessage message, RabbitHaPublishException? failure)
    {
        Assert.NotNull(failure);
        Assert.Equal(RabbitHaPublishFailureReason.Rejected, failure.Reason);
        Assert.Equal(message.Exchange, failure.Exchange);
        Assert.Equal(message.Properties!.MessageId, failure.MessageId);
        if (message.Body.Length > MaxMessageSize)
        {
            Assert.Matches("message size|max message size", failure.Message);
        }
        else
        {
            Assert.Contains($"'{message.Exchange}'", failure.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>Keeps <see cref="ValidInFlight"/> valid publishes in flight until <paramref name="more"/> says stop and at least <paramref name="count"/> were made.</summary>
    private static async Task<(int Confirmed, List<Exception> Failures)> PublishValidAsync(IRabbitHaPublisher publisher, string queue, int count, Func<bool> more)
    {
        using var window = new SemaphoreSlim(ValidInFlight);
        var failures = new ConcurrentQueue<Exception>();
        var confirmed = 0;
        var running = new ConcurrentDictionary<int, Task>();
        for (var i = 0; i < count || more(); i++)
        {
            await window.WaitAsync();
            running[i] = PublishOneAsync(i);
        }

        await Task.WhenAll(running.Values);
        return (confirmed, failures.ToList());

        async Task PublishOneAsync(int i)
        {
            try
            {
                await publisher.PublishAsync(string.Empty, queue, Encoding.UTF8.GetBytes($"valid-{i}"));
                Interlocked.Increment(ref confirmed);
            }
            catch (Exception ex)
            {
                failures.Enqueue(ex);
            }
            finally
            {
                running.TryRemove(i, out _);
                window.Release();
            }
        }
    }

    /// <summary>
    /// Publishes messages the broker refuses, one every <paramref name="interval"/>: a quarter with a body over the
    /// broker's maximum, a quarter to one missing exchange, half to a missing exchange of their own (each of those
    /// closes the shared channel, as nothing was learned about its exchange).
    /// </summary>
    private static async Task<List<(RabbitHaOutgoingMessage Message, RabbitHaPublishException? Failure)>> PublishBadAsync(
        IRabbitHaPublisher publisher, string sameMissing, byte[] oversized, int count, TimeSpan interval)
    {
        var publishes = new List<(RabbitHaOutgoingMessage Message, Task Publish)>();
        for (var i = 0; i < count; i++)
        {
            var message = (i % 4) switch
            {
                0 => new RabbitHaOutgoingMessage(string.Empty, "anywhere", oversized),
                1 => new RabbitHaOutgoingMessage(sameMissing, "x", Encoding.UTF8.GetBytes("bad")),
                _ => new RabbitHaOutgoingMessage("missing-" + Guid.NewGuid().ToString("N"), "x", Encoding.UTF8.GetBytes("bad")),
            } with { Properties = new BasicProperties { MessageId = $"bad-{i}-{Guid.NewGuid():N}" } };
            publishes.Add((message, publisher.PublishAsync(message)));
            if (interval > TimeSpan.Zero)
            {
                await Task.Delay(interval);
            }
        }

        var outcomes = new List<(RabbitHaOutgoingMessage Message, RabbitHaPublishException? Failure)>();
        foreach (var (message, publish) in publishes)
        {
            try
            {
                await publish;
                outcomes.Add((message, null));
            }
            catch (RabbitHaPublishException ex)
            {
                outcomes.Add((message, ex));
            }
        }

        return outcomes;
    }

    /// <summary>The channels the broker lists on a connection, from the management API of the first node that answers.</summary>
    private async Task<int?> ChannelsOfAsync(string connectionName)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Cluster.UserName}:{Cluster.Password}")));
        foreach (var node in Cluster.Nodes)
        {
            try
            {
                using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri(node.ManagementUri, "api/connections?columns=user_provided_name,channels")));
                foreach (var connection in document.RootElement.EnumerateArray())
                {
                    if (connection.TryGetProperty("user_provided_name", out var provided) && provided.GetString() == connectionName
                        && connection.TryGetProperty("channels", out var channels) && channels.ValueKind == JsonValueKind.Number)
                    {
                        return channels.GetInt32();
                    }
                }

                return null;
            }
            catch (HttpRequestException ex)
            {
                output.WriteLine($"rmq{node.Number} did not answer: {ex.Message}");
            }
        }

        return null;
    }

    /// <summary>What is still referenced after a full compacting collection: the small object heap (generations 0-2) and the large one.</summary>
    private static (long Small, long Large) Memory()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var generations = GC.GetGCMemoryInfo(GCKind.FullBlocking).GenerationInfo;
        var live = new long[generations.Length];
        for (var i = 0; i < generations.Length; i++)
        {
            live[i] = generations[i].SizeAfterBytes - generations[i].FragmentationAfterBytes;
        }

        return (live[0] + live[1] + live[2], live[3]);
    }
}
