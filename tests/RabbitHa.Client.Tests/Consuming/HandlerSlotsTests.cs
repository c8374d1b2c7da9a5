using RabbitHa.Client.Internal.Consuming;

namespace RabbitHa.Client.Tests.Consuming;

/// <summary>The Concurrency bound: a slot is free again only once both the processing and the handler are done.</summary>
[Trait("Category", "Unit")]
public sealed class HandlerSlotsTests
{
    [Fact]
    public async Task AcquireAsync_WhenEverySlotIsHeld_WaitsForOne()
    {
        var slots = new HandlerSlots(1);
        HandlerSlot held = await slots.AcquireAsync(CancellationToken.None);

        Task<HandlerSlot> waiting = slots.AcquireAsync(CancellationToken.None);
        await Task.Delay(50);
        bool waitedWhileHeld = !waiting.IsCompleted;
        held.Release();
        HandlerSlot next = await waiting.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.True(waitedWhileHeld);
        Assert.Equal(0, slots.Free);
        next.Release();
        Assert.Equal(1, slots.Free);
    }

    [Fact]
    public async Task Slot_IsFreeOnlyOnceTheProcessingAndItsHandlerAreBothDone()
    {
        var slots = new HandlerSlots(1);
        var handler = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        HandlerSlot slot = await slots.AcquireAsync(CancellationToken.None);
        slot.Run("m-1", 1, 0, handler.Task);
        slot.Abandon();

        slot.Release();
        slot.Release();
        int freeWhileTheHandlerRuns = slots.Free;
        handler.SetResult();

        Assert.Equal(0, freeWhileTheHandlerRuns);
        await Eventually.HoldsAsync(() => slots.Free == 1, "the slot is free once the handler has returned");
    }

    [Fact]
    public async Task FindRunning_FindsAHandlerByItsMessageId_UntilItReturns()
    {
        var slots = new HandlerSlots(2);
        var handler = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        HandlerSlot slot = await slots.AcquireAsync(CancellationToken.None);
        slot.Run("m-1", 1, 0, handler.Task);
        slot.Release();

        Task? running = slots.FindRunning("m-1");
        Task? other = slots.FindRunning("m-2");
        Task? noId = slots.FindRunning(null);
        handler.SetResult();

        Assert.Same(handler.Task, running);
        Assert.Null(other);
        Assert.Null(noId);
        await Eventually.HoldsAsync(() => slots.FindRunning("m-1") is null, "a handler that returned is not running");
    }

    [Fact]
    public async Task Hung_ListsOnlyAbandonedHandlers_LongestFirst()
    {
        var slots = new HandlerSlots(3);
        long now = TimeProvider.System.GetTimestamp();
        long frequency = TimeProvider.System.TimestampFrequency;
        var never = new TaskCompletionSource();
        foreach ((string id, long startedAt, bool abandoned) in new[] { ("young", now - frequency, true), ("old", now - (10 * frequency), true), ("busy", now, false) })
        {
            HandlerSlot slot = await slots.AcquireAsync(CancellationToken.None);
            slot.Run(id, 1, startedAt, never.Task);
            if (abandoned)
            {
                slot.Abandon();
            }
        }

        IReadOnlyList<ConsumerStatus.HungHandler> hung = slots.Hung(now, TimeProvider.System);

        Assert.Equal(["old", "young"], hung.Select(static h => h.MessageId));
        Assert.Equal(TimeSpan.FromSeconds(10), hung[0].Running);
    }
}
