using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using RabbitHa.Client.Internal.DependencyInjection;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Tests.Consuming;

/// <summary>
/// The supervisor at the edges: hung handlers never hold back a resubscription nor break the concurrency bound, an old
/// channel is never settled on, and nothing that throws in the loop stops it.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ConsumerSupervisorTests
{
    [Fact]
    public async Task BrokerCancel_WhileAHandlerHangs_ResubscribesAtOnce_AndTheOldChannelStillTakesItsAcknowledgement()
    {
        await using var harness = new SupervisorHarness();
        harness.Options.Concurrency = 2;
        harness.Options.StopTimeout = TimeSpan.FromSeconds(30);
        var hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = new ConcurrentQueue<string>();
        harness.Start(async (context, _) =>
        {
            if (context.MessageId == "hung")
            {
                await hang.Task;
            }

            handled.Enqueue(context.MessageId!);
        });
        try
        {
            RecordingChannel first = await harness.SubscribedAsync(1);
            await first.DeliverAsync(1, "hung");
            await Eventually.HoldsAsync(() => harness.Supervisor.Slots.Free == 1, "the handler runs");

            var clock = Stopwatch.StartNew();
            await first.CancelByBrokerAsync();
            RecordingChannel second = await harness.SubscribedAsync(2);
            TimeSpan resubscribedAfter = clock.Elapsed;
            await second.DeliverAsync(1, "m-2");
            await Eventually.HoldsAsync(() => Settled(second).Contains(("ack", 1UL)), "m-2 is acknowledged on the new subscription");

            Assert.True(resubscribedAfter < TimeSpan.FromSeconds(5), $"resubscribed after {resubscribedAfter}: it waited for the hung handler");
            Assert.Equal(["m-2"], handled);
            Assert.False(first.Closed, "the old channel stays open while its handler may still acknowledge");
        }
        finally
        {
            hang.SetResult();
        }

        RecordingChannel old = harness.Broker.SubscriptionChannels[0];
        await Eventually.HoldsAsync(() => Settled(old).Contains(("ack", 1UL)) && old.Closed, "the handler's acknowledgement goes out on its open channel, which then closes");
    }

    [Fact]
    public async Task ChannelLost_WhileAHandlerRuns_ResubscribesWithoutWaiting_AndItsLateAcknowledgementNeverReachesTheRecoveredChannel()
    {
        await using var harness = new SupervisorHarness();
        harness.Options.Concurrency = 2;
        harness.Options.CancellationGrace = TimeSpan.FromSeconds(5);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Start(async (context, _) =>
        {
            if (context.MessageId == "slow")
            {
                await release.Task;
            }
        });
        RecordingChannel first = await harness.SubscribedAsync(1);
        await first.DeliverAsync(7, "slow");
        await Eventually.HoldsAsync(() => harness.Supervisor.Slots.Free == 1, "the handler runs");

        await first.ShutDownAsync(SupervisorHarness.ConnectionLost());
        await harness.SubscribedAsync(2);

        // RabbitMQ.Client recovers the channel under the same object, numbering deliveries from 1 again: tag 7 is another message there.
        first.Recover();
        release.SetResult();
        await Eventually.HoldsAsync(() => harness.Supervisor.Slots.Free == 2, "the handler has returned");
        await Eventually.HoldsAsync(() => first.CloseCount > 0, "the old channel is closed");

        Assert.Empty(Settled(first));
        Assert.Contains("[SettleSkipped] Consumer 'orders' did not acknowledge delivery 7", harness.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HungHandler_KeepsItsSlotAcrossSubscriptions_AndTheNewSubscriptionRunsWithTheSlotsLeft()
    {
        await using var harness = new SupervisorHarness();
        harness.Options.Concurrency = 2;
        var hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var meter = new ConcurrencyMeter();
        var handled = new ConcurrentQueue<string>();
        harness.Start((context, _) => meter.RunAsync(async () =>
        {
            switch (context.MessageId)
            {
                case "hung":
                    await hang.Task;
                    break;
                case "m-2":
                    await gate.Task;
                    break;
            }

            handled.Enqueue(context.MessageId!);
        }));
        try
        {
            RecordingChannel first = await harness.SubscribedAsync(1);
            await first.DeliverAsync(1, "hung");
            await Eventually.HoldsAsync(() => meter.Running == 1, "the handler runs");
            await first.ShutDownAsync(SupervisorHarness.ConnectionLost());
            RecordingChannel second = await harness.SubscribedAsync(2);
            await Eventually.HoldsAsync(() => harness.Supervisor.GetStatus().HungHandlers.Count == 1, "the handler is given up on, as hung");

            await second.DeliverAsync(1, "m-2");
            await second.DeliverAsync(2, "m-3");
            await Eventually.HoldsAsync(() => meter.Running == 2, "m-2 runs next to the hung handler");
            await Task.Delay(300);
            bool m3RanMeanwhile = handled.Contains("m-3");
            gate.SetResult();
            await Eventually.HoldsAsync(() => Settled(second).Contains(("ack", 2UL)), "m-3 runs once m-2 has returned");

            Assert.False(m3RanMeanwhile, "a third handler ran while two slots were held");
            Assert.Equal(2, meter.Max);
            Assert.Empty(Settled(first));
        }
        finally
        {
            hang.SetResult();
        }
    }

    [Fact]
    public async Task CopyOfAMessageWhoseHandlerStillRuns_WaitsWithoutASlot_AndIsHandledOnceItReturns()
    {
        await using var harness = new SupervisorHarness();
        harness.Options.Concurrency = 2;
        harness.Options.HandlerTimeout = TimeSpan.FromMilliseconds(200);
        var hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var meter = new ConcurrencyMeter();
        var calls = new ConcurrentQueue<string>();
        harness.Start((context, _) => meter.RunAsync(async () =>
        {
            calls.Enqueue(context.MessageId!);
            if (context.MessageId == "m-1" && calls.Count(static id => id == "m-1") == 1)
            {
                await hang.Task;
            }
        }));
        RecordingChannel channel = await harness.SubscribedAsync(1);
        await channel.DeliverAsync(1, "m-1");
        await Eventually.HoldsAsync(() => Settled(channel).Contains(("ack", 1UL)), "the timed-out attempt is sent back to the queue");

        await channel.DeliverAsync(2, "m-1", redelivered: true);
        await channel.DeliverAsync(3, "m-2");
        await Eventually.HoldsAsync(() => Settled(channel).Contains(("ack", 3UL)), "another message takes the free slot meanwhile");
        await Task.Delay(200);
        int m1CallsWhileHung = calls.Count(static id => id == "m-1");
        hang.SetResult();
        await Eventually.HoldsAsync(() => Settled(channel).Contains(("ack", 2UL)), "the copy is handled once the first handler returned");

        Assert.Equal(1, m1CallsWhileHung);
        Assert.Equal(2, meter.Max);
        Assert.Equal(["m-1", "m-2", "m-1"], calls);
    }

    [Fact]
    public async Task CopyOfAMessageWhoseHandlerNeverReturns_GoesBackToTheQueueUnhandled()
    {
        await using var harness = new SupervisorHarness();
        harness.Options.Concurrency = 2;
        harness.Options.HandlerTimeout = TimeSpan.FromMilliseconds(200);
        var hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int calls = 0;
        harness.Start(async (_, _) =>
        {
            Interlocked.Increment(ref calls);
            await hang.Task;
        });
        try
        {
            RecordingChannel channel = await harness.SubscribedAsync(1);
            await channel.DeliverAsync(1, "m-1");
            await Eventually.HoldsAsync(() => Settled(channel).Contains(("ack", 1UL)), "the timed-out attempt is sent back to the queue");

            await channel.DeliverAsync(2, "m-1", redelivered: true);
            await Eventually.HoldsAsync(() => Settled(channel).Contains(("requeue", 2UL)), "the copy goes back to the queue", TimeSpan.FromSeconds(15));

            Assert.Equal(1, Volatile.Read(ref calls));
            Assert.Contains("[RunningCopyReturned]", harness.Logs.AllText, StringComparison.Ordinal);
        }
        finally
        {
            hang.SetResult();
        }
    }

    [Fact]
    public async Task ClosingAnEndedSubscriptionsChannelThrows_IsLogged_AndTheConsumerResubscribesEveryTime()
    {
        await using var harness = new SupervisorHarness();
        harness.Start((_, _) => Task.CompletedTask);

        for (int subscription = 1; subscription <= 2; subscription++)
        {
            RecordingChannel channel = await harness.SubscribedAsync(subscription);
            channel.CloseFailure = new InvalidOperationException($"abort {subscription} failed");
            await channel.ShutDownAsync(new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.PreconditionFailed, "PRECONDITION_FAILED - unknown delivery tag 1"));
            await Eventually.HoldsAsync(() => harness.Logs.AllText.Contains($"abort {subscription} failed", StringComparison.Ordinal), "the failure is logged");
        }

        await harness.SubscribedAsync(3);
        Assert.Contains("[SupervisorStepFailed] Consumer 'orders' failed unexpectedly while closing an ended subscription", harness.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandlerCancellationCallbackThrows_WhenTheChannelIsLost_IsLogged_AndTheConsumerResubscribes()
    {
        await using var harness = new SupervisorHarness();
        var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Start(async (_, token) =>
        {
            using CancellationTokenRegistration registration = token.Register(static () => throw new InvalidOperationException("the handler's callback failed"));
            registered.SetResult();
            await Task.Delay(Timeout.Infinite, token);
        });
        RecordingChannel first = await harness.SubscribedAsync(1);
        await first.DeliverAsync(1, "m-1");
        await registered.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await first.ShutDownAsync(SupervisorHarness.ConnectionLost());
        await harness.SubscribedAsync(2);
        await Eventually.HoldsAsync(() => harness.Logs.AllText.Contains("[CancellationCallbackFailed]", StringComparison.Ordinal), "the callback's failure is logged");
        await Eventually.HoldsAsync(() => harness.Supervisor.Slots.Free == 1, "the cancelled handler returned its slot");

        Assert.Contains("the handler's callback failed", harness.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoggerThatThrows_DoesNotStopTheLoop_AndItsFailureIsKeptAsTheLastError()
    {
        await using var harness = new SupervisorHarness();
        var logger = new ThrowingLogger(harness.Logs.CreateLogger("consumer")) { From = LogLevel.Warning };
        harness.Start((_, _) => Task.CompletedTask, logger);

        RecordingChannel first = await harness.SubscribedAsync(1);
        await first.ShutDownAsync(SupervisorHarness.ConnectionLost());
        RecordingChannel second = await harness.SubscribedAsync(2);
        await second.ShutDownAsync(SupervisorHarness.ConnectionLost());
        await harness.SubscribedAsync(3);

        Assert.True(logger.Thrown >= 2, $"the logger threw {logger.Thrown} time(s)");
        Assert.Contains("logging it failed too: the logging provider is broken", harness.Supervisor.GetStatus().LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubscribeThrowingSomethingUnexpected_IsLoggedAsAnError_AndRetried()
    {
        await using var harness = new SupervisorHarness();
        harness.Broker.ConsumeFailure = new InvalidOperationException("something nobody expected");
        harness.Start((_, _) => Task.CompletedTask);
        await Eventually.HoldsAsync(() => harness.Broker.SubscriptionChannels.Count >= 3, "it keeps trying");

        harness.Broker.ConsumeFailure = null;
        await Eventually.HoldsAsync(() => harness.Supervisor.IsSubscribed, "it subscribes once it can");

        Assert.Contains("Error consumer [SubscribeFailedUnexpectedly]", harness.Logs.AllText, StringComparison.Ordinal);
        Assert.All(harness.Broker.SubscriptionChannels.SkipLast(1), static channel => Assert.True(channel.Closed, "a half-open channel is closed"));
    }

    [Fact]
    public async Task QueueMissing_MakesTheConsumerUnhealthyAfterUnhealthyAfter_NamingTheBrokersReason_UntilItSubscribes()
    {
        await using var harness = new SupervisorHarness();
        harness.Options.UnhealthyAfter = TimeSpan.FromMilliseconds(200);
        harness.Broker.ConsumeFailure = new OperationInterruptedException(
            new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.NotFound, "NOT_FOUND - no queue 'orders' in vhost '/'"));
        harness.Start((_, _) => Task.CompletedTask);
        bool healthyAtFirst = RabbitHaHealthCheck.EvaluateConsumer(harness.Supervisor.GetStatus(), HealthStatus.Unhealthy) is null;

        HealthCheckResult? missing = null;
        await Eventually.HoldsAsync(() => (missing = RabbitHaHealthCheck.EvaluateConsumer(harness.Supervisor.GetStatus(), HealthStatus.Unhealthy)) is not null,
            "the consumer is reported");
        harness.Broker.ConsumeFailure = null;
        await Eventually.HoldsAsync(() => harness.Supervisor.IsSubscribed, "it subscribes once the queue is back");

        Assert.True(healthyAtFirst);
        Assert.Equal(HealthStatus.Unhealthy, missing!.Value.Status);
        Assert.Contains("Consumer 'orders' has not been subscribed to queue 'orders' for", missing.Value.Description, StringComparison.Ordinal);
        Assert.Contains("404 NOT_FOUND - no queue 'orders' in vhost '/'", missing.Value.Description, StringComparison.Ordinal);
        Assert.Null(RabbitHaHealthCheck.EvaluateConsumer(harness.Supervisor.GetStatus(), HealthStatus.Unhealthy));
    }

    [Fact]
    public async Task StopAsync_WithAHandlerThatIgnoresItsCancellation_ReturnsTheMessage_DoesNotWaitForTheHandler_AndSaysSo()
    {
        await using var harness = new SupervisorHarness();
        harness.Options.StopTimeout = TimeSpan.FromMilliseconds(200);
        var hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Start((_, _) => hang.Task);
        try
        {
            RecordingChannel channel = await harness.SubscribedAsync(1);
            await channel.DeliverAsync(1, "m-1");
            await Eventually.HoldsAsync(() => harness.Supervisor.Slots.Free == 0, "the handler runs");

            var clock = Stopwatch.StartNew();
            await harness.Supervisor.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"stopping took {clock.Elapsed}");
            Assert.Equal([("requeue", 1UL)], Settled(channel));
            Assert.True(channel.Closed);
            Assert.Contains("[HungHandlersAtStop] Consumer 'orders' stopped with 1 hung handler(s) still running", harness.Logs.AllText, StringComparison.Ordinal);
        }
        finally
        {
            hang.SetResult();
        }
    }

    private static (string Action, ulong DeliveryTag)[] Settled(RecordingChannel channel)
    {
        lock (channel.Settled)
        {
            return [.. channel.Settled];
        }
    }
}
