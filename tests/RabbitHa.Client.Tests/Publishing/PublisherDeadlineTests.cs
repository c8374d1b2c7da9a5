using System.Diagnostics;
using RabbitHa.Client.Internal.Diagnostics;

namespace RabbitHa.Client.Tests.Publishing;

/// <summary>PublishTimeout counts from the call, the wait for a window slot included; the callers waiting for one are bounded.</summary>
[Trait("Category", "Unit")]
public sealed class PublisherDeadlineTests
{
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task PublishAsync_WhenNoWindowSlotFreesUp_FailsTimedOutWithinPublishTimeoutUnsent()
    {
        var timeout = TimeSpan.FromMilliseconds(400);
        await using var harness = new PublisherHarness(o => (o.MaxInFlight, o.PublishTimeout, o.ConfirmTimeout) = (1, timeout, timeout));

        // The only slot, held by something that never times out (a publish would, as early as the caller below).
        Assert.True(harness.Publisher.Window.TryEnter());
        var clock = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<RabbitHaPublishException>(() => harness.Publisher.PublishAsync(PublisherHarness.Message()));

        Assert.InRange(clock.Elapsed, timeout - TimeSpan.FromMilliseconds(100), timeout + Slack);
        Assert.Equal(RabbitHaPublishFailureReason.TimedOut, ex.Reason);
        Assert.Equal(0, ex.Attempts);
        Assert.Contains("window slot", ex.Message, StringComparison.Ordinal);
        Assert.Empty(harness.Broker.Publishes);
        harness.Publisher.Window.Exit();
    }

    [Fact]
    public async Task PublishAsync_AfterWaitingForASlot_HasOnlyWhatIsLeftOfPublishTimeoutForItsSend()
    {
        var timeout = TimeSpan.FromSeconds(3);
        await using var harness = new PublisherHarness(o => (o.MaxInFlight, o.PublishTimeout, o.ConfirmTimeout) = (1, timeout, timeout));
        harness.Broker.Answer = _ => BrokerAnswer.Hold;
        Assert.True(harness.Publisher.Window.TryEnter());
        var clock = Stopwatch.StartNew();
        var waiting = harness.Publisher.PublishAsync(PublisherHarness.Message());
        await Task.Delay(TimeSpan.FromSeconds(1));
        TimeSpan released = clock.Elapsed; // later than 1 s on a loaded machine: what counts is when it really was
        harness.Publisher.Window.Exit();

        var ex = await Assert.ThrowsAsync<RabbitHaPublishException>(() => waiting);

        // The deadline runs from the call (~3 s), not from the slot (released + 3 s, ~4 s). The margin takes a timer that is
        // a few hundred milliseconds late on a loaded machine and still tells the two apart.
        Assert.Equal(RabbitHaPublishFailureReason.TimedOut, ex.Reason);
        Assert.InRange(clock.Elapsed, timeout - TimeSpan.FromMilliseconds(100), released + timeout - TimeSpan.FromMilliseconds(400));
        if (released < timeout - TimeSpan.FromMilliseconds(500))
        {
            // It had time left when its slot came: it was sent once, and its confirm never came.
            Assert.Equal(1, ex.Attempts);
        }
    }

    [Fact]
    public async Task PublishAsync_WhenTheClusterIsUnreachable_EveryCallerEndsTimedOutWithinPublishTimeoutOfItsCall()
    {
        // As measured with HAProxy refusing every node: 50 callers on a window of 10. The last one used to wait for
        // four rounds of timeouts before its own began.
        var timeout = TimeSpan.FromMilliseconds(500);
        await using var harness = new PublisherHarness(o => (o.MaxInFlight, o.PublishTimeout, o.ConfirmTimeout) = (10, timeout, timeout));
        harness.Broker.Disconnect();

        var calls = Enumerable.Range(0, 50).Select(async _ =>
        {
            var clock = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAsync<RabbitHaPublishException>(() => harness.Publisher.PublishAsync(PublisherHarness.Message()));
            return (ex.Reason, clock.Elapsed);
        }).ToArray();
        var outcomes = await Task.WhenAll(calls);

        Assert.All(outcomes, o => Assert.Equal(RabbitHaPublishFailureReason.TimedOut, o.Reason));
        Assert.All(outcomes, o => Assert.InRange(o.Elapsed, TimeSpan.Zero, timeout + Slack));
        Assert.Equal(50, harness.FailureReasons.Count);
    }

    [Fact]
    public async Task PublishAsync_WhenMaxWaitingPublishesCallersWaitAlready_FailsAtOnceWithOverloaded()
    {
        await using var harness = new PublisherHarness(o => (o.MaxInFlight, o.MaxWaitingPublishes) = (1, 2));
        harness.Broker.Answer = _ => BrokerAnswer.Hold;
        var inFlight = harness.Publisher.PublishAsync(PublisherHarness.Message());
        var waiting = new[] { harness.Publisher.PublishAsync(PublisherHarness.Message()), harness.Publisher.PublishAsync(PublisherHarness.Message()) };
        await Eventually.HoldsAsync(() => harness.Publisher.Waiting == 2, "two callers wait for the slot");

        var turnedAway = harness.Publisher.PublishAsync(PublisherHarness.Message());

        Assert.True(turnedAway.IsCompleted);
        var ex = await Assert.ThrowsAsync<RabbitHaPublishException>(() => turnedAway);
        Assert.Equal(RabbitHaPublishFailureReason.Overloaded, ex.Reason);
        Assert.Equal(0, ex.Attempts);
        Assert.Contains("MaxWaitingPublishes", ex.Message, StringComparison.Ordinal);
        Assert.Equal([nameof(RabbitHaPublishFailureReason.Overloaded)], harness.FailureReasons);

        // The ones that waited go on as before.
        harness.Broker.Answer = _ => BrokerAnswer.Ack;
        harness.Broker.ConfirmAll();
        await inFlight;
        await Task.WhenAll(waiting);
    }

    [Fact]
    public async Task PublishAsync_WithNoWaitingAllowed_FailsOverloadedWhileTheWindowIsFull()
    {
        await using var harness = new PublisherHarness(o => (o.MaxInFlight, o.MaxWaitingPublishes) = (1, 0));
        harness.Broker.Answer = _ => BrokerAnswer.Hold;
        var inFlight = harness.Publisher.PublishAsync(PublisherHarness.Message());

        var ex = await Assert.ThrowsAsync<RabbitHaPublishException>(() => harness.Publisher.PublishAsync(PublisherHarness.Message()));

        Assert.Equal(RabbitHaPublishFailureReason.Overloaded, ex.Reason);
        harness.Broker.ConfirmAll();
        await inFlight;
    }

    [Fact]
    public async Task PublishAsync_WhileWaitingForASlot_IsCancelledByTheCallersToken()
    {
        await using var harness = new PublisherHarness(o => o.MaxInFlight = 1);
        harness.Broker.Answer = _ => BrokerAnswer.Hold;
        var inFlight = harness.Publisher.PublishAsync(PublisherHarness.Message());
        using var cancel = new CancellationTokenSource();
        var waiting = harness.Publisher.PublishAsync(PublisherHarness.Message(), cancel.Token);
        await Eventually.HoldsAsync(() => harness.Publisher.Waiting == 1, "the second caller waits");

        await cancel.CancelAsync();

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(cancel.Token, ex.CancellationToken);
        Assert.Equal([PublisherMetrics.CancelledReason], harness.FailureReasons);
        harness.Broker.ConfirmAll();
        await inFlight;
    }
}
