using RabbitHa.Client.Internal.Diagnostics;
using RabbitMQ.Client;

namespace RabbitHa.Client.Tests.Publishing;

[Trait("Category", "Unit")]
public sealed class PublisherBatchTests
{
    [Fact]
    public async Task PublishBatchAsync_ReportsEachMessagesOutcomeInOrder()
    {
        await using var harness = new PublisherHarness();
        harness.Broker.Answer = p => p.Exchange == "missing" ? BrokerAnswer.CloseChannel(404, "NOT_FOUND - no exchange 'missing' in vhost '/'")
            : p.RoutingKey == "nobody" ? BrokerAnswer.Return
            : BrokerAnswer.Ack;
        RabbitHaOutgoingMessage[] batch =
        [
            PublisherHarness.Message(), PublisherHarness.Message("missing"), PublisherHarness.Message(),
            PublisherHarness.Message("amq.direct", "nobody"), PublisherHarness.Message(),
        ];

        var result = await harness.Publisher.PublishBatchAsync(batch);

        Assert.Equal([0, 1, 2, 3, 4], result.Outcomes.Select(o => o.Index));
        Assert.Equal(batch, result.Outcomes.Select(o => o.Message));
        Assert.Equal([true, false, true, false, true], result.Outcomes.Select(o => o.IsConfirmed));
        Assert.Equal(RabbitHaPublishFailureReason.Rejected, result.Outcomes[1].Failure!.Reason);
        Assert.Equal(RabbitHaPublishFailureReason.Unroutable, result.Outcomes[3].Failure!.Reason);
        Assert.Equal([1, 3], result.Failures.Select(o => o.Index));
        Assert.Equal(3, result.ConfirmedCount);
        Assert.False(result.AllConfirmed);
    }

    [Fact]
    public async Task PublishBatchAsync_FeedsTheWindowAsOneWaitingCaller()
    {
        await using var harness = new PublisherHarness(o => (o.MaxInFlight, o.MaxWaitingPublishes) = (2, 1));

        var result = await harness.Publisher.PublishBatchAsync(Enumerable.Range(0, 50).Select(_ => PublisherHarness.Message()));

        Assert.True(result.AllConfirmed);
        Assert.Equal(50, result.ConfirmedCount);
        Assert.Empty(harness.FailureReasons);
    }

    [Fact]
    public async Task PublishBatchAsync_WhenTheWindowTurnsAMessageAway_FailsTheUnsentRestWithTheSameReason()
    {
        await using var harness = new PublisherHarness(o => (o.MaxInFlight, o.MaxWaitingPublishes) = (1, 0));
        harness.Broker.Answer = _ => BrokerAnswer.Hold;
        var holder = harness.Publisher.PublishAsync(PublisherHarness.Message());

        var result = await harness.Publisher.PublishBatchAsync(Enumerable.Range(0, 3).Select(_ => PublisherHarness.Message()));

        Assert.All(result.Outcomes, o => Assert.Equal(RabbitHaPublishFailureReason.Overloaded, o.Failure!.Reason));
        Assert.All(result.Outcomes, o => Assert.Equal(0, o.Failure!.Attempts));
        Assert.Equal(3, harness.FailureReasons.Count);
        harness.Broker.ConfirmAll();
        await holder;
    }

    [Fact]
    public async Task PublishBatchAsync_WhenCancelled_ThrowsOnlyOnceEveryStartedMessageHasEnded()
    {
        await using var harness = new PublisherHarness();
        harness.Broker.Answer = _ => BrokerAnswer.Hold;
        using var cancel = new CancellationTokenSource();

        var batch = harness.Publisher.PublishBatchAsync(Enumerable.Range(0, 3).Select(_ => PublisherHarness.Message()), cancel.Token);
        await Eventually.HoldsAsync(() => harness.Broker.Publishes.Count == 3, "the batch is in flight");
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => batch);
        Assert.Equal(0, harness.Publisher.InFlight);
        Assert.Equal(3, harness.FailureReasons.Count(r => r == PublisherMetrics.CancelledReason));
    }

    [Fact]
    public async Task PublishBatchAsync_WithANullMessage_ThrowsNamingTheParameter()
    {
        await using var harness = new PublisherHarness();

        var ex = Assert.Throws<ArgumentNullException>(() => { _ = harness.Publisher.PublishBatchAsync([PublisherHarness.Message(), null!]); });

        Assert.Equal("messages", ex.ParamName);
    }

    [Fact]
    public async Task PublishBatchAsync_DefaultImplementation_CollectsEveryOutcome()
    {
        IRabbitHaPublisher publisher = new EveryOtherFails();

        var result = await publisher.PublishBatchAsync(Enumerable.Range(0, 4).Select(_ => PublisherHarness.Message()));

        Assert.Equal([true, false, true, false], result.Outcomes.Select(o => o.IsConfirmed));
        Assert.All(result.Failures, o => Assert.Equal(RabbitHaPublishFailureReason.Nacked, o.Failure!.Reason));
    }

    /// <summary>An implementation of the application's own, with only the single publish written.</summary>
    private sealed class EveryOtherFails : IRabbitHaPublisher
    {
        private int _calls;

        public Task PublishAsync(RabbitHaOutgoingMessage message, CancellationToken cancellationToken = default) =>
            Interlocked.Increment(ref _calls) % 2 == 0
                ? Task.FromException(new RabbitHaPublishException(RabbitHaPublishFailureReason.Nacked, "m", message.Exchange, message.RoutingKey, 1, "nacked", null))
                : Task.CompletedTask;

        public Task PublishAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, BasicProperties? properties = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task PublishAsync<T>(string exchange, string routingKey, T message, BasicProperties? properties = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}
