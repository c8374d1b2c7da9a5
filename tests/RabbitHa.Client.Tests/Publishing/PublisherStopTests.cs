using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using RabbitHa.Client.Internal.DependencyInjection;

namespace RabbitHa.Client.Tests.Publishing;

/// <summary>The host's stop: publishes in flight get StopTimeout, the rest fail with a reason; none is dropped silently.</summary>
[Trait("Category", "Unit")]
public sealed class PublisherStopTests
{
    [Fact]
    public async Task StopAsync_LetsPublishesInFlightBeConfirmedWithinStopTimeout()
    {
        await using var harness = new PublisherHarness(o => o.StopTimeout = TimeSpan.FromSeconds(10));
        harness.Broker.Answer = _ => BrokerAnswer.Hold;
        var inFlight = harness.Publisher.PublishAsync(PublisherHarness.Message());
        await Eventually.HoldsAsync(() => harness.Broker.Publishes.Count == 1, "the message is sent");

        var stop = harness.Publisher.StopAsync(CancellationToken.None);
        Assert.False(stop.IsCompleted);
        harness.Broker.ConfirmAll();

        await inFlight;
        await stop.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Empty(harness.FailureReasons);
        Assert.Single(harness.LogsOf("PublisherStopped"));
        Assert.Equal(0, harness.Publisher.ChannelsHeld);
    }

    [Fact]
    public async Task StopAsync_FailsPublishesNotConfirmedWithinStopTimeout_WithStopped()
    {
        await using var harness = new PublisherHarness(o => o.StopTimeout = TimeSpan.FromMilliseconds(200));
        harness.Broker.Answer = _ => BrokerAnswer.Hold;
        var inFlight = harness.Publisher.PublishAsync(PublisherHarness.Message());
        await Eventually.HoldsAsync(() => harness.Broker.Publishes.Count == 1, "the message is sent");
        var clock = Stopwatch.StartNew();

        await harness.Publisher.StopAsync(CancellationToken.None);

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(3));
        var ex = await Assert.ThrowsAsync<RabbitHaPublishException>(() => inFlight);
        Assert.Equal(RabbitHaPublishFailureReason.Stopped, ex.Reason);
        Assert.Equal(1, ex.Attempts);
        Assert.Equal([nameof(RabbitHaPublishFailureReason.Stopped)], harness.FailureReasons);
        Assert.Contains(harness.LogsOf("PublisherStopCutShort"), line => line.StartsWith("Warning", StringComparison.Ordinal) && line.Contains("with 1 publish", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StopAsync_FailsCallersWaitingForASlotAtOnce()
    {
        await using var harness = new PublisherHarness(o => (o.MaxInFlight, o.StopTimeout) = (1, TimeSpan.FromSeconds(10)));
        harness.Broker.Answer = _ => BrokerAnswer.Hold;
        var inFlight = harness.Publisher.PublishAsync(PublisherHarness.Message());
        var waiting = harness.Publisher.PublishAsync(PublisherHarness.Message());
        await Eventually.HoldsAsync(() => harness.Publisher.Waiting == 1, "the second caller waits");

        var stop = harness.Publisher.StopAsync(CancellationToken.None);

        var ex = await Assert.ThrowsAsync<RabbitHaPublishException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(2)));
        Assert.Equal(RabbitHaPublishFailureReason.Stopped, ex.Reason);
        Assert.Equal(0, ex.Attempts);
        Assert.False(inFlight.IsCompleted);
        harness.Broker.ConfirmAll();
        await inFlight;
        await stop.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task PublishAsync_AfterStopBegan_FailsAtOnceWithStopped()
    {
        await using var harness = new PublisherHarness();
        await harness.Publisher.StopAsync(CancellationToken.None);

        var ex = await Assert.ThrowsAsync<RabbitHaPublishException>(() => harness.Publisher.PublishAsync(PublisherHarness.Message()));

        Assert.Equal(RabbitHaPublishFailureReason.Stopped, ex.Reason);
        Assert.Equal(0, ex.Attempts);
        Assert.Empty(harness.Broker.Publishes);
        Assert.Equal([nameof(RabbitHaPublishFailureReason.Stopped)], harness.FailureReasons);
    }

    [Fact]
    public async Task StopAsync_WhenTheHostsTokenFires_CutsTheWaitShort()
    {
        await using var harness = new PublisherHarness(o => o.StopTimeout = TimeSpan.FromMinutes(1));
        harness.Broker.Answer = _ => BrokerAnswer.Hold;
        var inFlight = harness.Publisher.PublishAsync(PublisherHarness.Message());
        await Eventually.HoldsAsync(() => harness.Broker.Publishes.Count == 1, "the message is sent");
        using var host = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await harness.Publisher.StopAsync(host.Token).WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(RabbitHaPublishFailureReason.Stopped, (await Assert.ThrowsAsync<RabbitHaPublishException>(() => inFlight)).Reason);
    }

    [Fact]
    public async Task StopAsync_IsIdempotent()
    {
        await using var harness = new PublisherHarness();

        await harness.Publisher.StopAsync(CancellationToken.None);
        await harness.Publisher.StopAsync(CancellationToken.None);

        Assert.Single(harness.LogsOf("PublisherStopping"));
    }

    [Fact]
    public async Task AddPublisher_RemembersThePublisherOnlyOnceTheContainerBuiltIt()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddRabbitHa(_ => { }).AddPublisher();
        await using var provider = services.BuildServiceProvider();
        var created = provider.GetRequiredService<CreatedPublisher>();

        Assert.Null(created.Publisher);
        var publisher = provider.GetRequiredService<IRabbitHaPublisher>();
        Assert.Same(publisher, created.Publisher);
    }
}
