using RabbitHa.Client.Internal.Consuming;
using RabbitMQ.Client;
using static RabbitHa.Client.Tests.Consuming.ProcessorHarness;

namespace RabbitHa.Client.Tests.Consuming;

/// <summary>A failed message tried again: its attempt count travels with it on classic queues; quorum queues count themselves.</summary>
[Trait("Category", "Unit")]
public sealed class DeliveryProcessorRetryTests
{
    [Fact]
    public async Task ProcessAsync_OnAClassicQueue_WhenHandlerThrowsBelowTheLimit_RepublishesWithTheCountThenAcknowledges()
    {
        var harness = new ProcessorHarness();
        harness.Options.MaxDeliveryAttempts = 3;
        bool ackedBeforeConfirm = false;
        harness.Publisher.OnPublish = (_, _) =>
        {
            ackedBeforeConfirm = harness.Recorder.Settled.Count > 0;
            return Task.CompletedTask;
        };
        BasicProperties properties = Properties("m-1");
        properties.CorrelationId = "c-1";
        properties.Headers = new Dictionary<string, object?> { ["tenant"] = "t-1" };

        await harness.Create(new ScriptedHandler { Fail = true }).ProcessAsync(harness.Channel, 4, false, "orders-exchange", "orders.created", properties, Body("a"), CancellationToken.None);

        RabbitHaOutgoingMessage copy = Assert.Single(harness.Publisher.Confirmed);
        Assert.Equal(("", Queue, true), (copy.Exchange, copy.RoutingKey, copy.Mandatory));
        Assert.Equal("a"u8.ToArray(), copy.Body.ToArray());
        Assert.Equal(("m-1", "c-1"), (copy.Properties!.MessageId, copy.Properties.CorrelationId));
        Assert.Equal(1, HeaderNumber(copy, RabbitHaHeaders.ConsumerDeliveryCount));
        Assert.Equal("orders-exchange", HeaderText(copy, RabbitHaHeaders.OriginalExchange));
        Assert.Equal("orders.created", HeaderText(copy, RabbitHaHeaders.OriginalRoutingKey));
        Assert.Equal("t-1", HeaderText(copy, "tenant"));
        Assert.False(properties.Headers.ContainsKey(RabbitHaHeaders.ConsumerDeliveryCount), "the delivery's own headers are left alone");
        Assert.False(ackedBeforeConfirm);
        Assert.Equal([("ack", 4UL)], harness.Recorder.Settled);
    }

    [Fact]
    public async Task ProcessAsync_ThreeDeliveriesOfOneMessage_CarryCountsOneAndTwo_ThenDeadLetterAtTheThirdAttempt()
    {
        var harness = new ProcessorHarness();
        harness.Options.MaxDeliveryAttempts = 3;
        var handler = new ScriptedHandler { Fail = true };
        DeliveryProcessor processor = harness.Create(handler);

        await processor.ProcessAsync(harness.Channel, 1, false, "orders-exchange", "orders.created", Properties("m-1"), Body("a"), CancellationToken.None);
        for (ulong tag = 2; tag <= 3; tag++)
        {
            RabbitHaOutgoingMessage back = harness.Publisher.Confirmed[^1];
            await processor.ProcessAsync(harness.Channel, tag, false, back.Exchange, back.RoutingKey, AsDelivered(back), back.Body, CancellationToken.None);
        }

        RabbitHaOutgoingMessage[] published = harness.Publisher.Confirmed.ToArray();
        Assert.Equal([1, 2, 3], handler.DeliveryCounts);
        Assert.All(handler.Contexts, c => Assert.Equal(("orders-exchange", "orders.created"), (c.Exchange, c.RoutingKey)));
        Assert.Equal([Queue, Queue, DeadLetterQueueName], published.Select(p => p.RoutingKey));
        Assert.Equal([1L, 2L], published[..2].Select(p => HeaderNumber(p, RabbitHaHeaders.ConsumerDeliveryCount)!.Value));
        Assert.Equal(3, HeaderNumber(published[2], RabbitHaHeaders.Attempts));
        Assert.Equal("orders-exchange", HeaderText(published[2], RabbitHaHeaders.OriginalExchange));
        Assert.Equal([("ack", 1UL), ("ack", 2UL), ("ack", 3UL)], harness.Recorder.Settled);
    }

    [Fact]
    public async Task ProcessAsync_RedeliveredCopy_CountsTheHighestOfItsHeaderAndTheRedeliveredFlag()
    {
        var harness = new ProcessorHarness();
        var handler = new ScriptedHandler();
        BasicProperties properties = Properties("m-1");
        properties.Headers = new Dictionary<string, object?> { [RabbitHaHeaders.ConsumerDeliveryCount] = 2 };
        DeliveryProcessor processor = harness.Create(handler);

        await processor.ProcessAsync(harness.Channel, 1, true, "", Queue, properties, Body("a"), CancellationToken.None);
        await processor.ProcessAsync(harness.Channel, 2, true, "", Queue, Properties("m-2"), Body("a"), CancellationToken.None);

        Assert.Equal([3, 2], handler.DeliveryCounts);
        Assert.True(handler.Contexts[0].IsPossibleDuplicate);
    }

    [Fact]
    public async Task ProcessAsync_WhenTheRetryCopyCannotBePublished_RequeuesTheOriginalInstead()
    {
        var harness = new ProcessorHarness();
        harness.Publisher.OnPublish = (_, _) => throw RecordingPublisher.Failure(RabbitHaPublishFailureReason.TimedOut);

        await harness.Create(new ScriptedHandler { Fail = true }).ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);

        Assert.Single(harness.Publisher.Attempted);
        Assert.Empty(harness.Publisher.Confirmed);
        Assert.Equal([("requeue", 1UL)], harness.Recorder.Settled);
        Assert.Contains("[RetryPublishFailed]", harness.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessAsync_WhenStoppedWhileTheRetryCopyWaitsForItsConfirm_RequeuesTheOriginal()
    {
        var harness = new ProcessorHarness();
        harness.Publisher.OnPublish = (_, token) => Task.Delay(Timeout.Infinite, token);
        using var stopping = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await harness.Create(new ScriptedHandler { Fail = true })
            .ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), stopping.Token).WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal([("requeue", 1UL)], harness.Recorder.Settled);
    }

    [Fact]
    public async Task ProcessAsync_OnAQuorumQueue_WithTheBrokerCountHeader_RequeuesAndPublishesNothing()
    {
        var harness = new ProcessorHarness();
        var handler = new ScriptedHandler { Fail = true };
        BasicProperties properties = Properties("m-1");
        properties.Headers = new Dictionary<string, object?> { [RabbitHaHeaders.DeliveryCount] = 1L };

        await harness.Create(handler).ProcessAsync(harness.Channel, 9, true, "", Queue, properties, Body("a"), CancellationToken.None);

        Assert.Equal([("requeue", 9UL)], harness.Recorder.Settled);
        Assert.Empty(harness.Publisher.Attempted);
        Assert.Equal([2], handler.DeliveryCounts);
    }

    [Fact]
    public async Task ProcessAsync_OnAQuorumQueue_WhenTheBrokerCountSaysLastAttempt_DeadLetters()
    {
        var harness = new ProcessorHarness();
        harness.Options.MaxDeliveryAttempts = 5;
        var handler = new ScriptedHandler { Fail = true };
        BasicProperties properties = Properties("m-1");
        properties.Headers = new Dictionary<string, object?> { [RabbitHaHeaders.DeliveryCount] = 4L };

        await harness.Create(handler).ProcessAsync(harness.Channel, 9, true, "", Queue, properties, Body("a"), CancellationToken.None);

        Assert.Equal([5], handler.DeliveryCounts);
        Assert.Equal(DeadLetterQueueName, Assert.Single(harness.Publisher.Confirmed).RoutingKey);
        Assert.Equal([("ack", 9UL)], harness.Recorder.Settled);
    }

    [Fact]
    public async Task ProcessAsync_WhenTheTopologyDeclaresAQuorumQueue_RequeuesEvenTheFirstDelivery()
    {
        var harness = new ProcessorHarness { QueueType = RabbitHaQueueType.Quorum };

        await harness.Create(new ScriptedHandler { Fail = true }).ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);

        Assert.Equal([("requeue", 1UL)], harness.Recorder.Settled);
        Assert.Empty(harness.Publisher.Attempted);
    }

    [Fact]
    public async Task ProcessAsync_OnceTheQueueIsKnownToCount_RequeuesEvenTheFirstDelivery()
    {
        var harness = new ProcessorHarness();
        DeliveryProcessor processor = harness.Create(new ScriptedHandler { Fail = true });

        processor.QueueCountsDeliveries();
        await processor.ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);

        Assert.Equal([("requeue", 1UL)], harness.Recorder.Settled);
        Assert.Empty(harness.Publisher.Attempted);
    }

    [Fact]
    public async Task ProcessAsync_TwentyThousandDistinctFailingMessages_EachDeadLetteredAfterExactlyMaxDeliveryAttempts()
    {
        const int messages = 20_000;
        const int maxAttempts = 3;
        var harness = new ProcessorHarness { Quiet = true };
        harness.Options.MaxDeliveryAttempts = maxAttempts;
        var attempts = new Dictionary<string, int>(StringComparer.Ordinal);
        var handler = new CountingFailingHandler(attempts);
        DeliveryProcessor processor = harness.Create(handler);

        // The queue, in memory: every copy sent back to it joins the back, as on a classic queue.
        var queue = new Queue<(string Exchange, string RoutingKey, BasicProperties Properties, ReadOnlyMemory<byte> Body)>();
        var deadLettered = new List<RabbitHaOutgoingMessage>();
        harness.Publisher.OnPublish = (copy, _) =>
        {
            if (copy.RoutingKey == Queue)
            {
                queue.Enqueue((copy.Exchange, copy.RoutingKey, AsDelivered(copy), copy.Body));
            }
            else
            {
                deadLettered.Add(copy);
            }

            return Task.CompletedTask;
        };
        for (int n = 0; n < messages; n++)
        {
            queue.Enqueue(("orders-exchange", "orders.created", Properties($"m-{n}"), Body($"body {n}")));
        }

        ulong tag = 0;
        while (queue.TryDequeue(out var delivery))
        {
            await processor.ProcessAsync(harness.Channel, ++tag, false, delivery.Exchange, delivery.RoutingKey, delivery.Properties, delivery.Body, CancellationToken.None);
        }

        Assert.Equal(messages, attempts.Count);
        Assert.All(attempts, pair => Assert.Equal(maxAttempts, pair.Value));
        Assert.Equal(messages, deadLettered.Count);
        Assert.Equal(messages, deadLettered.Select(d => d.Properties!.MessageId).Distinct().Count());
        Assert.All(deadLettered, d => Assert.Equal(maxAttempts, HeaderNumber(d, RabbitHaHeaders.Attempts)));
        Assert.Equal((ulong)(messages * maxAttempts), tag);
        Assert.All(harness.Recorder.Settled, s => Assert.Equal("ack", s.Action));
    }

    /// <summary>Fails every message and counts its attempts by message id; one processor handles one message at a time here, so no lock.</summary>
    private sealed class CountingFailingHandler(Dictionary<string, int> attempts) : IRabbitHaHandler<ReadOnlyMemory<byte>>
    {
        public Task HandleAsync(ReadOnlyMemory<byte> message, RabbitHaMessageContext context, CancellationToken cancellationToken)
        {
            attempts[context.MessageId!] = attempts.GetValueOrDefault(context.MessageId!) + 1;
            throw new InvalidOperationException("always fails");
        }
    }
}
