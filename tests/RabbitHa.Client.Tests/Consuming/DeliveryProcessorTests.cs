using RabbitHa.Client.Internal.Consuming;
using RabbitMQ.Client;
using static RabbitHa.Client.Tests.Consuming.ProcessorHarness;

namespace RabbitHa.Client.Tests.Consuming;

[Trait("Category", "Unit")]
public sealed class DeliveryProcessorTests
{
    [Fact]
    public async Task ProcessAsync_WhenHandlerSucceeds_Acknowledges()
    {
        var harness = new ProcessorHarness();
        var handler = new ScriptedHandler();

        await harness.Create(handler).ProcessAsync(harness.Channel, 7, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);

        Assert.Equal([("ack", 7UL)], harness.Recorder.Settled);
        Assert.Equal(1, handler.Calls);
        Assert.Empty(harness.Publisher.Attempted);
    }

    [Fact]
    public async Task ProcessAsync_WhenHandlerThrows_WaitsTheRequeueDelayBeforeSendingTheMessageBack()
    {
        var harness = new ProcessorHarness();
        harness.Options.RequeueDelay = TimeSpan.FromMilliseconds(300);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan? publishedAfter = null;
        harness.Publisher.OnPublish = (_, _) =>
        {
            publishedAfter = clock.Elapsed;
            return Task.CompletedTask;
        };

        await harness.Create(new ScriptedHandler { Fail = true }).ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);

        Assert.True(publishedAfter >= TimeSpan.FromMilliseconds(280), $"sent back after {publishedAfter?.TotalMilliseconds} ms");
        Assert.Equal([("ack", 1UL)], harness.Recorder.Settled);
    }

    [Fact]
    public async Task ProcessAsync_WhenStoppedDuringTheRequeueDelay_RequeuesAtOnceWithoutACopy()
    {
        var harness = new ProcessorHarness();
        harness.Options.RequeueDelay = TimeSpan.FromSeconds(30);
        using var stopping = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await harness.Create(new ScriptedHandler { Fail = true })
            .ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), stopping.Token).WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal([("requeue", 1UL)], harness.Recorder.Settled);
        Assert.Empty(harness.Publisher.Attempted);
    }

    [Fact]
    public async Task ProcessAsync_WithDeduplication_DropsACopyAlreadyHandled()
    {
        var harness = new ProcessorHarness { Store = new InMemoryRabbitHaDeduplicationStore() };
        harness.Options.DeduplicateByMessageId = true;
        var handler = new ScriptedHandler();
        DeliveryProcessor processor = harness.Create(handler);

        await processor.ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);
        await processor.ProcessAsync(harness.Channel, 2, true, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);

        Assert.Equal(1, handler.Calls);
        Assert.Equal([("ack", 1UL), ("ack", 2UL)], harness.Recorder.Settled);
    }

    [Fact]
    public async Task ProcessAsync_WithDeduplication_AFailedMessageIsHandledWhenItsCopyComesBack()
    {
        var store = new InMemoryRabbitHaDeduplicationStore();
        var harness = new ProcessorHarness { Store = store };
        harness.Options.DeduplicateByMessageId = true;
        var handler = new ScriptedHandler { Fail = true };
        DeliveryProcessor processor = harness.Create(handler);

        await processor.ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);
        handler.Fail = false;
        RabbitHaOutgoingMessage copy = Assert.Single(harness.Publisher.Confirmed);
        await processor.ProcessAsync(harness.Channel, 2, false, "", Queue, AsDelivered(copy), copy.Body, CancellationToken.None);

        Assert.Equal(2, handler.Calls);
        Assert.Equal([("ack", 1UL), ("ack", 2UL)], harness.Recorder.Settled);
        Assert.Equal(RabbitHaDeduplicationResult.AlreadyHandled, await store.TryClaimAsync(Queue, "m-1", CancellationToken.None));
    }

    [Fact]
    public async Task ProcessAsync_WhenHandlerIsCancelled_RequeuesWithoutCountingAFailure()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var harness = new ProcessorHarness();
        harness.Options.MaxDeliveryAttempts = 1;

        await harness.Create(new ScriptedHandler { HonourCancellation = true })
            .ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), cancelled.Token);

        Assert.Equal([("requeue", 1UL)], harness.Recorder.Settled);
        Assert.Empty(harness.Publisher.Attempted);
    }

    [Fact]
    public async Task ProcessAsync_WhenTheChannelHasClosed_DoesNotThrow()
    {
        var harness = new ProcessorHarness();
        harness.Recorder.Closed = true;

        await harness.Create(new ScriptedHandler()).ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);

        Assert.Empty(harness.Recorder.Settled);
    }
}
