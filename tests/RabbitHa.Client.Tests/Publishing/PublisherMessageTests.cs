using RabbitMQ.Client;

namespace RabbitHa.Client.Tests.Publishing;

/// <summary>
/// What reaches the broker: a copy of the caller's properties (never the caller's object), no headers RabbitHa has no
/// use for, and each message as it was given, however many publishes reuse the publisher's attempts.
/// </summary>
[Trait("Category", "Unit")]
public sealed class PublisherMessageTests
{
    [Fact]
    public async Task PublishAsync_SendsACopyOfTheCallersProperties_AndAddsNoHeadersOfItsOwn()
    {
        await using var harness = new PublisherHarness();
        var plain = new BasicProperties { MessageId = "m-1" };
        var withHeaders = new BasicProperties { MessageId = "m-2", Headers = new Dictionary<string, object?> { ["tenant"] = "a" } };

        await harness.Publisher.PublishAsync("", "q", new byte[3], plain);
        await harness.Publisher.PublishAsync("", "q", new byte[3], withHeaders);

        BasicProperties first = harness.Broker.Publishes[0].Properties;
        BasicProperties second = harness.Broker.Publishes[1].Properties;
        Assert.NotSame(plain, first);
        Assert.False(plain.IsDeliveryModePresent());
        Assert.Equal(DeliveryModes.Persistent, first.DeliveryMode);

        // RabbitMQ.Client adds a dictionary of its own, for its publish sequence number, to properties without headers.
        Assert.Null(first.Headers);
        Assert.NotSame(withHeaders.Headers, second.Headers);
        Assert.Equal("a", second.Headers!["tenant"]);
    }

    [Fact]
    public async Task PublishAsync_ManyAtOnceOnASmallWindow_SendsEachMessageAsGiven()
    {
        // Far more publishes than the window, whose size bounds the attempts kept for reuse: every send must still carry
        // its own message, never a field of another one that had the attempt before.
        await using var harness = new PublisherHarness(o => o.MaxInFlight = 4);
        string[] ids = Enumerable.Range(0, 200).Select(i => $"m-{i}").ToArray();

        await Task.WhenAll(ids.Select(id => Task.Run(() =>
            harness.Publisher.PublishAsync("", id, new byte[id.Length], new BasicProperties { MessageId = id }))));

        IReadOnlyList<PublishingBroker.Publish> sent = harness.Broker.Publishes;
        Assert.Equal(ids.Order(StringComparer.Ordinal), sent.Select(p => p.MessageId).Order(StringComparer.Ordinal));
        Assert.All(sent, p => Assert.Equal((p.MessageId, p.MessageId.Length), (p.RoutingKey, p.BodySize)));
        Assert.Equal(0, harness.Publisher.InFlight);
    }
}
