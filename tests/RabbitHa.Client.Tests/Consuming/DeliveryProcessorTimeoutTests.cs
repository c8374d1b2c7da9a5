using RabbitHa.Client.Internal.Consuming;
using static RabbitHa.Client.Tests.Consuming.ProcessorHarness;

namespace RabbitHa.Client.Tests.Consuming;

/// <summary>
/// A handler that runs too long: cancelled at <see cref="RabbitHaConsumerOptions.HandlerTimeout"/> and failed; one that
/// ignores the cancellation is abandoned, keeps its slot, and is logged as hung.
/// </summary>
[Trait("Category", "Unit")]
public sealed class DeliveryProcessorTimeoutTests
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ProcessAsync_WhenTheHandlerRunsPastHandlerTimeout_CancelsIt_AndRetriesTheMessageAsAFailedAttempt()
    {
        ProcessorHarness harness = Timed();
        CancellationToken seen = default;

        await harness.Create(new LambdaHandler(async (_, token) =>
        {
            seen = token;
            await Task.Delay(Timeout.Infinite, token);
        })).ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None).WaitAsync(s_deadline);

        Assert.True(seen.IsCancellationRequested);
        RabbitHaOutgoingMessage copy = Assert.Single(harness.Publisher.Confirmed);
        Assert.Equal(1, HeaderNumber(copy, RabbitHaHeaders.ConsumerDeliveryCount));
        Assert.Equal([("ack", 1UL)], harness.Recorder.Settled);
        Assert.Contains("System.TimeoutException: The handler ran longer than HandlerTimeout (00:00:00.1000000) and was cancelled.", harness.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessAsync_OnTheLastAttempt_DeadLettersATimedOutMessageWithTheReasonHandlerTimedOut()
    {
        ProcessorHarness harness = Timed();
        harness.Options.MaxDeliveryAttempts = 1;

        await harness.Create(new LambdaHandler((_, token) => Task.Delay(Timeout.Infinite, token)))
            .ProcessAsync(harness.Channel, 3, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None).WaitAsync(s_deadline);

        RabbitHaOutgoingMessage copy = Assert.Single(harness.Publisher.Confirmed);
        Assert.Equal(DeadLetterQueueName, copy.RoutingKey);
        Assert.Equal("handler-timed-out", HeaderText(copy, RabbitHaHeaders.DeadLetterReason));
        Assert.Equal(typeof(TimeoutException).FullName, HeaderText(copy, RabbitHaHeaders.ExceptionType));
        Assert.Equal([("ack", 3UL)], harness.Recorder.Settled);
    }

    [Fact]
    public async Task ProcessAsync_WhenTheHandlerIgnoresItsCancellation_AbandonsIt_ItKeepsItsSlotUntilItReturns_AndIsLoggedAsHung()
    {
        ProcessorHarness harness = Timed();
        harness.Options.Concurrency = 2;
        var hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        DeliveryProcessor processor = harness.Create(new LambdaHandler((_, _) => hang.Task));
        try
        {
            await processor.ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None).WaitAsync(s_deadline);

            // Its message took the failure path; the handler runs on in its slot.
            Assert.Single(harness.Publisher.Confirmed);
            Assert.Equal([("ack", 1UL)], harness.Recorder.Settled);
            Assert.Equal(1, processor.Slots.Free);
            Assert.Equal("m-1", Assert.Single(processor.Slots.Hung(TimeProvider.System.GetTimestamp(), TimeProvider.System)).MessageId);
            await Eventually.HoldsAsync(() => harness.Logs.AllText.Contains("[HandlerHung]", StringComparison.Ordinal), "the hung handler is logged");
            string hung = harness.Logs.Lines.First(l => l.Contains("[HandlerHung]", StringComparison.Ordinal));
            Assert.StartsWith("Warning", hung, StringComparison.Ordinal);
            Assert.Contains("on message 'm-1' (delivery 1)", hung, StringComparison.Ordinal);
            Assert.Contains("keeps one of the consumer's 2 handler slots until it returns (1 free now)", hung, StringComparison.Ordinal);
        }
        finally
        {
            hang.SetResult();
        }

        await Eventually.HoldsAsync(() => processor.Slots.Free == 2, "the slot is free once the handler returns");
        await Eventually.HoldsAsync(() => harness.Logs.AllText.Contains("[HungHandlerReturned]", StringComparison.Ordinal), "its return is logged");
        Assert.Equal([("ack", 1UL)], harness.Recorder.Settled);
    }

    [Fact]
    public async Task ProcessAsync_WhenTheHandlerBlocksItsThread_AbandonsItAllTheSame()
    {
        ProcessorHarness harness = Timed();
        using var gate = new ManualResetEventSlim();
        try
        {
            await harness.Create(new LambdaHandler((_, _) =>
            {
                gate.Wait(CancellationToken.None);
                return Task.CompletedTask;
            })).ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None).WaitAsync(s_deadline);

            Assert.Single(harness.Publisher.Confirmed);
            Assert.Equal([("ack", 1UL)], harness.Recorder.Settled);
        }
        finally
        {
            gate.Set();
        }
    }

    [Fact]
    public async Task ProcessAsync_WhenTheHandlerFinishesWithinTheGraceAfterItsTimeout_AcknowledgesIt()
    {
        ProcessorHarness harness = Timed();
        harness.Options.CancellationGrace = TimeSpan.FromSeconds(5);

        await harness.Create(new LambdaHandler((_, _) => Task.Delay(TimeSpan.FromMilliseconds(300), CancellationToken.None)))
            .ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None).WaitAsync(s_deadline);

        Assert.Empty(harness.Publisher.Attempted);
        Assert.Equal([("ack", 1UL)], harness.Recorder.Settled);
    }

    [Fact]
    public async Task ProcessAsync_WhenACallbackOnTheHandlersTokenThrowsAtTheTimeout_LogsIt_AndTheMessageTakesTheFailurePath()
    {
        ProcessorHarness harness = Timed();

        // Long enough for the handler to have registered its callback first, however busy the machine.
        harness.Options.HandlerTimeout = TimeSpan.FromMilliseconds(500);

        await harness.Create(new LambdaHandler(async (_, token) =>
        {
            using CancellationTokenRegistration registration = token.Register(static () => throw new InvalidOperationException("the handler's callback failed"));
            await Task.Delay(Timeout.Infinite, token);
        })).ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None).WaitAsync(s_deadline);

        Assert.Single(harness.Publisher.Confirmed);
        Assert.Equal([("ack", 1UL)], harness.Recorder.Settled);
        Assert.Contains("[CancellationCallbackFailed]", harness.Logs.AllText, StringComparison.Ordinal);
        Assert.Contains("the handler's callback failed", harness.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessAsync_WithoutHandlerTimeout_WaitsForASlowHandler()
    {
        var harness = new ProcessorHarness();
        harness.Options.HandlerTimeout = Timeout.InfiniteTimeSpan;

        await harness.Create(new LambdaHandler((_, _) => Task.Delay(TimeSpan.FromMilliseconds(200), CancellationToken.None)))
            .ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None).WaitAsync(s_deadline);

        Assert.Equal([("ack", 1UL)], harness.Recorder.Settled);
    }

    [Fact]
    public async Task ProcessAsync_WhenStoppingAndTheHandlerIgnoresItsToken_ReturnsTheMessageUncounted_AfterTheGrace()
    {
        var harness = new ProcessorHarness();
        harness.Options.CancellationGrace = TimeSpan.FromMilliseconds(50);
        harness.Options.MaxDeliveryAttempts = 1;
        var hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stopping = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        try
        {
            await harness.Create(new LambdaHandler((_, _) => hang.Task))
                .ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), stopping.Token).WaitAsync(s_deadline);

            Assert.Equal([("requeue", 1UL)], harness.Recorder.Settled);
            Assert.Empty(harness.Publisher.Attempted);
            Assert.Contains("is left to the broker to deliver again", harness.Logs.AllText, StringComparison.Ordinal);
        }
        finally
        {
            hang.SetResult();
        }
    }

    [Fact]
    public async Task ProcessAsync_OnARetiredChannel_SettlesNothing()
    {
        var harness = new ProcessorHarness();
        DeliveryProcessor processor = harness.Create(new ScriptedHandler());
        processor.RetireChannel(harness.Channel);

        await processor.ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None);

        Assert.Empty(harness.Recorder.Settled);
        Assert.Contains("[SettleSkipped]", harness.Logs.AllText, StringComparison.Ordinal);
    }

    /// <summary>A harness whose handlers time out after 100 ms and are given up on 50 ms later.</summary>
    private static ProcessorHarness Timed()
    {
        var harness = new ProcessorHarness();
        harness.Options.HandlerTimeout = TimeSpan.FromMilliseconds(100);
        harness.Options.CancellationGrace = TimeSpan.FromMilliseconds(50);
        return harness;
    }
}
