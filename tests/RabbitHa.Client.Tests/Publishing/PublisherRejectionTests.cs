using RabbitMQ.Client;

namespace RabbitHa.Client.Tests.Publishing;

/// <summary>
/// A message the broker refuses (no such exchange, a body over its maximum, an invalid property) closes the shared
/// channel under every publish in flight: only that message fails, with its own answer; the others are sent again.
/// </summary>
[Trait("Category", "Unit")]
public sealed class PublisherRejectionTests
{
    private const string Missing = "NOT_FOUND - no exchange 'missing' in vhost '/'";

    [Fact]
    public async Task PublishAsync_ToAMissingExchange_FailsOnlyThatMessage_AndSendsTheInnocentOnesAgain()
    {
        await using var harness = new PublisherHarness();
        harness.Broker.Answer = p => p.Exchange == "missing" ? BrokerAnswer.CloseChannel(404, Missing)
            : p.Channel == 1 ? BrokerAnswer.Hold
            : BrokerAnswer.Ack;
        var innocent = Enumerable.Range(0, 5).Select(_ => harness.Publisher.PublishAsync(PublisherHarness.Message())).ToArray();
        await Eventually.HoldsAsync(() => harness.Broker.Publishes.Count == 5, "the innocent messages are in flight");

        var ex = await Assert.ThrowsAsync<RabbitHaPublishException>(() => harness.Publisher.PublishAsync(PublisherHarness.Message("missing")));
        await Task.WhenAll(innocent);

        Assert.Equal(RabbitHaPublishFailureReason.Rejected, ex.Reason);
        Assert.Equal("missing", ex.Exchange);
        Assert.Contains("no exchange 'missing'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, ex.Attempts);
        var resent = harness.Broker.Publishes.Where(p => p.Channel == 2).ToArray();
        Assert.Equal(5, resent.Length);
        Assert.All(resent, p => Assert.True(p.Resent));
        Assert.Equal([nameof(RabbitHaPublishFailureReason.Rejected)], harness.FailureReasons);
        Assert.Single(harness.LogsOf("PublishFailed"));
    }

    [Fact]
    public async Task PublishAsync_OnChannelsClosedByOtherMessagesAgainAndAgain_IsNeverBlamed()
    {
        // Three such closures used to fail an innocent message as Rejected, with another message's 404 text.
        const int Culprits = 6;
        await using var harness = new PublisherHarness();
        var closures = 0;
        harness.Broker.Answer = p =>
        {
            if (p.Exchange.StartsWith("missing", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref closures);
                return BrokerAnswer.CloseChannel(404, $"NOT_FOUND - no exchange '{p.Exchange}' in vhost '/'");
            }

            return Volatile.Read(ref closures) < Culprits ? BrokerAnswer.Hold : BrokerAnswer.Ack;
        };
        var innocent = harness.Publisher.PublishAsync(PublisherHarness.Message());

        for (var i = 0; i < Culprits; i++)
        {
            var sends = i + 1;
            await Eventually.HoldsAsync(() => harness.Broker.Publishes.Count(p => p.Exchange.Length == 0) == sends, "the innocent message is in flight (again)");
            var ex = await Assert.ThrowsAsync<RabbitHaPublishException>(() => harness.Publisher.PublishAsync(PublisherHarness.Message($"missing-{i}")));
            Assert.Contains($"'missing-{i}'", ex.Message, StringComparison.Ordinal);
        }

        await innocent;
        Assert.Equal(Culprits, harness.FailureReasons.Count);
        Assert.Equal(Culprits + 1, harness.Broker.Publishes.Count(p => p.Exchange.Length == 0));
    }

    [Fact]
    public async Task PublishAsync_ToAnExchangeJustFoundMissing_FailsAtOnceWithoutClosingTheChannelAgain()
    {
        await using var harness = new PublisherHarness();
        harness.Broker.Answer = p => p.Exchange == "missing" ? BrokerAnswer.CloseChannel(404, Missing) : BrokerAnswer.Ack;
        await Assert.ThrowsAsync<RabbitHaPublishException>(() => harness.Publisher.PublishAsync(PublisherHarness.Message("missing")));
        await harness.Publisher.PublishAsync(PublisherHarness.Message());

        var again = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
            Assert.ThrowsAsync<RabbitHaPublishException>(() => harness.Publisher.PublishAsync(PublisherHarness.Message("missing")))));

        Assert.All(again, ex => Assert.Equal(RabbitHaPublishFailureReason.Rejected, ex.Reason));
        Assert.All(again, ex => Assert.Equal(0, ex.Attempts));
        Assert.All(again, ex => Assert.Contains(Missing, ex.Message, StringComparison.Ordinal));
        Assert.Single(harness.Broker.Publishes, p => p.Exchange == "missing");
        Assert.Equal(2, harness.Broker.ChannelsOpened);
    }

    [Fact]
    public async Task PublishAsync_WithABodyOverTheBrokersMaximum_FailsOnlyThatMessage_AndLaterLargeOnesUnsent()
    {
        await using var harness = new PublisherHarness();
        harness.Broker.Answer = p => p.BodySize > 100 ? BrokerAnswer.CloseChannel(406, $"PRECONDITION_FAILED - message size {p.BodySize} is larger than configured max size 100")
            : p.Channel == 1 ? BrokerAnswer.Hold
            : BrokerAnswer.Ack;
        var innocent = Enumerable.Range(0, 3).Select(_ => harness.Publisher.PublishAsync(PublisherHarness.Message(bodySize: 100))).ToArray();
        await Eventually.HoldsAsync(() => harness.Broker.Publishes.Count == 3, "the innocent messages are in flight");

        var tooLarge = await Assert.ThrowsAsync<RabbitHaPublishException>(() => harness.Publisher.PublishAsync(PublisherHarness.Message(bodySize: 200)));
        await Task.WhenAll(innocent);
        var alsoTooLarge = await Assert.ThrowsAsync<RabbitHaPublishException>(() => harness.Publisher.PublishAsync(PublisherHarness.Message(bodySize: 150)));
        await harness.Publisher.PublishAsync(PublisherHarness.Message(bodySize: 50));

        Assert.Equal(RabbitHaPublishFailureReason.Rejected, tooLarge.Reason);
        Assert.Contains("message size 200 is larger than configured max size 100", tooLarge.Message, StringComparison.Ordinal);
        Assert.Equal(RabbitHaPublishFailureReason.Rejected, alsoTooLarge.Reason);
        Assert.Equal(0, alsoTooLarge.Attempts);
        Assert.Contains("its body (150 bytes) is larger than the broker's max message size (100 bytes", alsoTooLarge.Message, StringComparison.Ordinal);
        Assert.Single(harness.Broker.Publishes, p => p.BodySize > 100);
    }

    [Fact]
    public async Task PublishAsync_WhenTheBrokerDoesNotNameTheCause_SendsSuspectsAloneAndFailsOnlyTheCulprit()
    {
        await using var harness = new PublisherHarness();
        var closures = 0;
        harness.Broker.Answer = p =>
        {
            if (p.Properties.Headers?.ContainsKey("poison") == true)
            {
                Interlocked.Increment(ref closures);
                return BrokerAnswer.CloseChannel(406, "PRECONDITION_FAILED - something RabbitHa cannot read");
            }

            return Volatile.Read(ref closures) < 2 ? BrokerAnswer.Hold : BrokerAnswer.Ack;
        };
        var innocent = Enumerable.Range(0, 3).Select(_ => harness.Publisher.PublishAsync(PublisherHarness.Message())).ToArray();
        await Eventually.HoldsAsync(() => harness.Broker.Publishes.Count == 3, "the innocent messages are in flight");
        var poison = new RabbitHaOutgoingMessage(string.Empty, "q", new byte[3]) { Properties = new BasicProperties { Headers = new Dictionary<string, object?> { ["poison"] = true } } };

        var ex = await Assert.ThrowsAsync<RabbitHaPublishException>(() => harness.Publisher.PublishAsync(poison));
        await Task.WhenAll(innocent);

        Assert.Equal(RabbitHaPublishFailureReason.Rejected, ex.Reason);
        Assert.Contains("something RabbitHa cannot read", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, Volatile.Read(ref closures));
        Assert.Equal([nameof(RabbitHaPublishFailureReason.Rejected)], harness.FailureReasons);
        Assert.Contains(harness.LogsOf("PublishIsolated"), line => line.Contains(ex.MessageId!, StringComparison.Ordinal));
    }

    [Fact]
    public async Task PublishAsync_WhenTheBrokerClosesTheChannel_ReleasesItSoRabbitMqClientForgetsIt()
    {
        await using var harness = new PublisherHarness();
        harness.Broker.Answer = p => p.Exchange.StartsWith("missing", StringComparison.Ordinal)
            ? BrokerAnswer.CloseChannel(404, $"NOT_FOUND - no exchange '{p.Exchange}' in vhost '/'")
            : BrokerAnswer.Ack;

        for (var i = 0; i < 20; i++)
        {
            await Assert.ThrowsAsync<RabbitHaPublishException>(() => harness.Publisher.PublishAsync(PublisherHarness.Message($"missing-{i}")));
            await harness.Publisher.PublishAsync(PublisherHarness.Message());
        }

        Assert.Equal(21, harness.Broker.ChannelsOpened);
        Assert.Equal(20, harness.Broker.ChannelsForgotten);
        Assert.Equal(20, harness.Broker.ChannelsDisposed);
        Assert.Equal(1, harness.Publisher.ChannelsHeld);
    }
}
