using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Tests.Publishing;

/// <summary>
/// Every way a publish can fail reaches the caller as one of four outcomes — confirmed, RabbitHaPublishException with
/// a reason, OperationCanceledException for the caller's own token, ObjectDisposedException after disposal — and is
/// counted once (rabbitha.publish.failed) and logged once, never at error level.
/// </summary>
[Trait("Category", "Unit")]
public sealed class PublisherOutcomeTests
{
    [Fact]
    public async Task PublishAsync_WhenConfirmed_CompletesWithoutFailureMetricOrLog()
    {
        await using var harness = new PublisherHarness();

        await harness.Publisher.PublishAsync(PublisherHarness.Message());

        Assert.Empty(harness.FailureReasons);
        Assert.Empty(harness.LogsOf("PublishFailed"));
        Assert.Single(harness.Broker.Publishes);
    }

    [Fact]
    public async Task PublishAsync_WhenTheCallerCancels_ThrowsOperationCanceledForTheCallersToken()
    {
        await using var harness = new PublisherHarness();
        harness.Broker.Answer = _ => BrokerAnswer.Hold;
        using var cancel = new CancellationTokenSource();

        var publish = harness.Publisher.PublishAsync(PublisherHarness.Message(), cancel.Token);
        await Eventually.HoldsAsync(() => harness.Broker.Publishes.Count == 1, "the message is sent");
        await cancel.CancelAsync();

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => publish);
        Assert.Equal(cancel.Token, ex.CancellationToken);
        AssertEndedOnce(harness, PublisherMetrics.CancelledReason, "PublishCancelled");
    }

    [Fact]
    public async Task PublishAsync_WhenThePublisherIsDisposedInFlight_ThrowsObjectDisposed()
    {
        await using var harness = new PublisherHarness();
        harness.Broker.Answer = _ => BrokerAnswer.Hold;

        var publish = harness.Publisher.PublishAsync(PublisherHarness.Message());
        await Eventually.HoldsAsync(() => harness.Broker.Publishes.Count == 1, "the message is sent");
        await harness.Publisher.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => publish);
        AssertEndedOnce(harness, PublisherMetrics.DisposedReason, "PublishAbandoned");
    }

    [Fact]
    public async Task PublishAsync_AfterDisposal_FaultsTheTaskWithObjectDisposed()
    {
        await using var harness = new PublisherHarness();
        await harness.Publisher.DisposeAsync();

        var publish = harness.Publisher.PublishAsync(PublisherHarness.Message());

        await Assert.ThrowsAsync<ObjectDisposedException>(() => publish);
        AssertEndedOnce(harness, PublisherMetrics.DisposedReason, "PublishAbandoned");
    }

    [Fact]
    public async Task PublishAsync_WhenThePublishingConnectionWasClosed_ThrowsObjectDisposed()
    {
        await using var harness = new PublisherHarness();
        harness.Broker.FailChannelCreations(1, () => new ObjectDisposedException("RabbitHaConnection"));

        var ex = await Assert.ThrowsAsync<ObjectDisposedException>(() => harness.Publisher.PublishAsync(PublisherHarness.Message()));

        Assert.Contains("publishing connection was closed", ex.Message, StringComparison.Ordinal);
        AssertEndedOnce(harness, PublisherMetrics.DisposedReason, "PublishAbandoned");
    }

    [Fact]
    public async Task PublishAsync_WhenRabbitMqClientTimesOutOpeningTheChannel_SendsAgainInsteadOfThrowingTaskCanceled()
    {
        await using var harness = new PublisherHarness();

        // RabbitMQ.Client's continuation timeout on channel.open / confirm.select surfaces as a TaskCanceledException.
        harness.Broker.FailChannelCreations(2, () => new TaskCanceledException("channel.open"));

        await harness.Publisher.PublishAsync(PublisherHarness.Message());

        Assert.Empty(harness.FailureReasons);
        Assert.Equal(1, harness.Broker.ChannelsOpened);
    }

    [Fact]
    public async Task PublishAsync_WhenOpeningTheChannelTimesOutUntilTheDeadline_FailsTimedOutNotTaskCanceled()
    {
        await using var harness = new PublisherHarness(o => o.PublishTimeout = o.ConfirmTimeout = TimeSpan.FromMilliseconds(300));
        harness.Broker.FailChannelCreations(int.MaxValue, () => new TaskCanceledException("channel.open"));

        var ex = await Assert.ThrowsAsync<RabbitHaPublishException>(() => harness.Publisher.PublishAsync(PublisherHarness.Message()));

        Assert.Equal(RabbitHaPublishFailureReason.TimedOut, ex.Reason);
        Assert.IsType<TimeoutException>(ex.InnerException);
        AssertEndedOnce(harness, nameof(RabbitHaPublishFailureReason.TimedOut), "PublishFailed");
    }

    [Fact]
    public async Task PublishAsyncOfT_WhenTheSerializerThrows_FaultsTheTaskWithInvalid()
    {
        var broken = new InvalidOperationException("cannot serialize a cycle");
        await using var harness = new PublisherHarness(serializer: new ThrowingSerializer(broken));

        // The call itself returns a task; the failure is in it.
        var publish = harness.Publisher.PublishAsync(string.Empty, "q", new { Name = "x" });

        var ex = await Assert.ThrowsAsync<RabbitHaPublishException>(() => publish);
        Assert.Equal(RabbitHaPublishFailureReason.Invalid, ex.Reason);
        Assert.Same(broken, ex.InnerException);
        Assert.Equal(0, ex.Attempts);
        Assert.Empty(harness.Broker.Publishes);
        AssertEndedOnce(harness, nameof(RabbitHaPublishFailureReason.Invalid), "PublishFailed");
    }

    [Fact]
    public async Task PublishAsync_WhenRabbitMqClientCannotEncodeTheMessage_FailsInvalidWithoutRetrying()
    {
        await using var harness = new PublisherHarness();
        var encoding = new WireFormattingException("Value of type 'Guid' cannot appear as table value");
        harness.Broker.Answer = _ => BrokerAnswer.Throw(encoding);

        var ex = await Assert.ThrowsAsync<RabbitHaPublishException>(() => harness.Publisher.PublishAsync(PublisherHarness.Message()));

        Assert.Equal(RabbitHaPublishFailureReason.Invalid, ex.Reason);
        Assert.Same(encoding, ex.InnerException);
        Assert.Single(harness.Broker.Publishes);
        AssertEndedOnce(harness, nameof(RabbitHaPublishFailureReason.Invalid), "PublishFailed");
    }

    [Fact]
    public async Task PublishAsync_WhenNackedTwiceThenConfirmed_CountsEachSendAfterTheFirstAsRetried()
    {
        await using var harness = new PublisherHarness(o => o.MaxNackRetries = 3);
        int sends = 0;
        harness.Broker.Answer = _ => Interlocked.Increment(ref sends) <= 2 ? BrokerAnswer.Nack : BrokerAnswer.Ack;

        await harness.Publisher.PublishAsync(PublisherHarness.Message());

        Assert.Equal(3, Volatile.Read(ref sends));
        Assert.Equal(2, harness.Retries);

        // Two nacks in a row are not enough to replace the channel.
        Assert.Equal(1, harness.Broker.ChannelsOpened);
    }

    [Fact]
    public async Task PublishAsync_WhenNackedThreeTimesInARow_SendsAgainOnANewChannel()
    {
        // A channel bound to a quorum queue's dead leader (RabbitMQ 3.10) is nacked until it is replaced.
        await using var harness = new PublisherHarness(o => o.MaxNackRetries = 3);
        int sends = 0;
        harness.Broker.Answer = _ => Interlocked.Increment(ref sends) <= 3 ? BrokerAnswer.Nack : BrokerAnswer.Ack;

        await harness.Publisher.PublishAsync(PublisherHarness.Message());

        Assert.Equal(4, Volatile.Read(ref sends));
        Assert.Equal(2, harness.Broker.ChannelsOpened);
        Assert.Equal(1, harness.Publisher.ChannelsHeld);
    }

    [Fact]
    public async Task PublishAsync_WhenEveryPublishIsNacked_ReplacesTheChannelOncePerHoldOff()
    {
        // A full queue with x-overflow reject-publish nacks everything: no new channel every three publishes.
        var time = new FakeTimeProvider();
        await using var harness = new PublisherHarness(o => o.MaxNackRetries = 0, timeProvider: time);
        harness.Broker.Answer = _ => BrokerAnswer.Nack;

        for (int i = 0; i < 10; i++)
        {
            await Assert.ThrowsAsync<RabbitHaPublishException>(() => harness.Publisher.PublishAsync(PublisherHarness.Message()));
        }

        Assert.Equal(2, harness.Broker.ChannelsOpened);

        time.Advance(TimeSpan.FromSeconds(1));
        for (int i = 0; i < 10; i++)
        {
            await Assert.ThrowsAsync<RabbitHaPublishException>(() => harness.Publisher.PublishAsync(PublisherHarness.Message()));
        }

        // The second hold-off is twice the first.
        time.Advance(TimeSpan.FromSeconds(1.5));
        await Assert.ThrowsAsync<RabbitHaPublishException>(() => harness.Publisher.PublishAsync(PublisherHarness.Message()));
        Assert.Equal(3, harness.Broker.ChannelsOpened);
        Assert.Equal(2, harness.LogsOf("PublishChannelNackedInARow").Count);
        Assert.Equal(1, harness.Publisher.ChannelsHeld);
    }

    [Fact]
    public async Task PublishAsync_WhenNackedMoreThanAllowed_FailsNacked()
    {
        await using var harness = new PublisherHarness(o => o.MaxNackRetries = 1);
        harness.Broker.Answer = _ => BrokerAnswer.Nack;

        var ex = await Assert.ThrowsAsync<RabbitHaPublishException>(() => harness.Publisher.PublishAsync(PublisherHarness.Message()));

        Assert.Equal(RabbitHaPublishFailureReason.Nacked, ex.Reason);
        Assert.Equal(2, ex.Attempts);
        AssertEndedOnce(harness, nameof(RabbitHaPublishFailureReason.Nacked), "PublishFailed");
    }

    [Fact]
    public async Task PublishAsync_WhenReturned_FailsUnroutableAtOnce()
    {
        await using var harness = new PublisherHarness();
        harness.Broker.Answer = _ => BrokerAnswer.Return;

        var ex = await Assert.ThrowsAsync<RabbitHaPublishException>(() => harness.Publisher.PublishAsync(PublisherHarness.Message()));

        Assert.Equal(RabbitHaPublishFailureReason.Unroutable, ex.Reason);
        Assert.Equal(1, ex.Attempts);
        AssertEndedOnce(harness, nameof(RabbitHaPublishFailureReason.Unroutable), "PublishFailed");
    }

    [Fact]
    public async Task PublishAsync_WhenTheConfirmTimesOut_SendsAgainMarkedResent()
    {
        await using var harness = new PublisherHarness(o => o.ConfirmTimeout = TimeSpan.FromMilliseconds(100));
        harness.Broker.Answer = publish => publish.Resent ? BrokerAnswer.Ack : BrokerAnswer.Hold;
        var clock = Stopwatch.StartNew();

        await harness.Publisher.PublishAsync(PublisherHarness.Message());

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(90), TimeSpan.FromSeconds(5));
        Assert.Equal([false, true], harness.Broker.Publishes.Select(p => p.Resent));
        Assert.Empty(harness.FailureReasons);
    }

    private static void AssertEndedOnce(PublisherHarness harness, string reason, string logEvent)
    {
        Assert.Equal([reason], harness.FailureReasons);
        Assert.Single(harness.LogsOf(logEvent));
        Assert.DoesNotContain(harness.Logs, line => line.StartsWith("Error", StringComparison.Ordinal) || line.StartsWith("Critical", StringComparison.Ordinal));
    }

    private sealed class ThrowingSerializer(Exception failure) : IRabbitHaSerializer
    {
        public string ContentType => "application/json";

        public ReadOnlyMemory<byte> Serialize<T>(T message) => throw failure;

        public T Deserialize<T>(ReadOnlyMemory<byte> body) => throw new NotSupportedException();
    }
}
