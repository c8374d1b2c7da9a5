using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RabbitHa.Testing;
using RabbitHa.Testing.Xunit;
using RabbitMQ.Client;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Client.IntegrationTests;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class PublisherTests(RabbitHaClusterFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _queue = TestQueue.NewName("publisher");
    private ServiceProvider _services = null!;

    private IRabbitHaCluster Cluster => fixture.Cluster;

    private IRabbitHaPublisher Publisher => _services.GetRequiredService<IRabbitHaPublisher>();

    public async Task InitializeAsync()
    {
        if (!Testing.Containers.DockerAvailability.IsAvailable)
        {
            return;
        }

        _services = RabbitHaTestHost.BuildServices(
            Cluster.AmqpUri,
            "publisher-tests",
            new XunitLoggerProvider(output),
            rabbitHa => rabbitHa.AddTopology(t => t.Queues.Add(new RabbitHaQueueDefinition { Name = _queue })).AddPublisher());
        await _services.GetRequiredService<IRabbitHaConnection>().ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        if (_services is not null)
        {
            await using var channel = await _services.GetRequiredService<IRabbitHaConnection>().CreateChannelAsync();
            await channel.QueueDeleteAsync(_queue);
            await _services.DisposeAsync();
        }
    }

    [DockerFact]
    public async Task PublishAsync_WhenConfirmed_MessageIsInTheQueueWithIdAndPersistence()
    {
        await Publisher.PublishAsync(string.Empty, _queue, Encoding.UTF8.GetBytes("hello"));

        var message = await GetAsync();
        Assert.Equal("hello", Encoding.UTF8.GetString(message.Body.Span));
        Assert.False(string.IsNullOrEmpty(message.BasicProperties.MessageId));
        Assert.Equal(DeliveryModes.Persistent, message.BasicProperties.DeliveryMode);
        Assert.False(message.BasicProperties.Headers?.ContainsKey(RabbitHaHeaders.Resent) ?? false);
    }

    [DockerFact]
    public async Task PublishAsync_KeepsTheCallersMessageIdAndDoesNotChangeItsProperties()
    {
        var properties = new BasicProperties { MessageId = "order-42" };

        await Publisher.PublishAsync(string.Empty, _queue, Encoding.UTF8.GetBytes("x"), properties);

        Assert.Equal("order-42", (await GetAsync()).BasicProperties.MessageId);
        Assert.False(properties.IsDeliveryModePresent());
    }

    [DockerFact]
    public async Task PublishAsyncOfT_SerializesAsJson()
    {
        await Publisher.PublishAsync(string.Empty, _queue, new Order(42, "tea"));

        var message = await GetAsync();
        Assert.Equal("application/json", message.BasicProperties.ContentType);
        Assert.Equal("""{"id":42,"item":"tea"}""", Encoding.UTF8.GetString(message.Body.Span));
    }

    [DockerFact]
    public async Task PublishAsyncOfT_WithByteArray_PublishesTheBytesAsTheBody()
    {
        await Publisher.PublishAsync(string.Empty, _queue, new byte[] { 1, 2, 3 });

        var message = await GetAsync();
        Assert.Equal(new byte[] { 1, 2, 3 }, message.Body.ToArray());
        Assert.Null(message.BasicProperties.ContentType);
    }

    [DockerFact]
    public async Task PublishAsync_DoesNotChangeTheCallersHeaders()
    {
        var headers = new Dictionary<string, object?> { ["tenant"] = "a" };

        await Publisher.PublishAsync(string.Empty, _queue, Encoding.UTF8.GetBytes("x"), new BasicProperties { Headers = headers });

        Assert.Equal(["tenant"], headers.Keys);
        Assert.True((await GetAsync()).BasicProperties.Headers!.ContainsKey("tenant"));
    }

    [DockerFact]
    public async Task PublishAsync_WhenNoQueueIsBound_ThrowsUnroutable()
    {
        var ex = await Assert.ThrowsAsync<RabbitHaPublishException>(
            () => Publisher.PublishAsync("amq.direct", "nobody-listens-" + Guid.NewGuid().ToString("N"), Encoding.UTF8.GetBytes("x")));

        Assert.Equal(RabbitHaPublishFailureReason.Unroutable, ex.Reason);
        Assert.Equal(1, ex.Attempts);
        Assert.Contains("NO_ROUTE", ex.Message, StringComparison.Ordinal);
    }

    [DockerFact]
    public async Task PublishAsync_ToMissingExchange_ThrowsRejected_AndThePublisherKeepsWorking()
    {
        var ex = await Assert.ThrowsAsync<RabbitHaPublishException>(
            () => Publisher.PublishAsync("no-such-exchange-" + Guid.NewGuid().ToString("N"), "x", Encoding.UTF8.GetBytes("x")));
        Assert.Equal(RabbitHaPublishFailureReason.Rejected, ex.Reason);
        Assert.Contains("404", ex.Message, StringComparison.Ordinal);

        // The broker closed the channel; the next publish gets a new one.
        await Publisher.PublishAsync(string.Empty, _queue, Encoding.UTF8.GetBytes("after"));
        Assert.Equal("after", Encoding.UTF8.GetString((await GetAsync()).Body.Span));
    }

    [DockerFact]
    public async Task PublishBatchAsync_ConfirmsEveryMessage()
    {
        var messages = Enumerable.Range(0, 500)
            .Select(i => new RabbitHaOutgoingMessage(string.Empty, _queue, Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture))))
            .ToArray();

        var result = await Publisher.PublishBatchAsync(messages);

        Assert.True(result.AllConfirmed);
        Assert.Equal(500, result.ConfirmedCount);
        await using var channel = await _services.GetRequiredService<IRabbitHaConnection>().CreateChannelAsync();
        Assert.Equal(500u, await channel.MessageCountAsync(_queue));
    }

    private async Task<BasicGetResult> GetAsync()
    {
        await using var channel = await _services.GetRequiredService<IRabbitHaConnection>().CreateChannelAsync();
        return await channel.BasicGetAsync(_queue, autoAck: true) ?? throw new Xunit.Sdk.XunitException($"Queue {_queue} is empty.");
    }

    private sealed record Order(int Id, string Item);
}
