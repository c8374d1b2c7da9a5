using System.Collections.Concurrent;
using static RabbitHa.Client.Tests.Consuming.ProcessorHarness;

namespace RabbitHa.Client.Tests.Consuming;

/// <summary>
/// A deduplication store that fails or is slow: a claim that fails or does not answer within
/// <see cref="RabbitHaConsumerOptions.DeduplicationStoreTimeout"/> returns the message to its queue, uncounted; a mark or a
/// release that fails is logged and the message's outcome stands.
/// </summary>
[Trait("Category", "Unit")]
public sealed class DeduplicationStoreFailureTests
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ProcessAsync_WhenTheClaimThrows_ReturnsTheMessageUnhandled_AndLogsTheStoreFailure()
    {
        var store = new ScriptedStore { Claim = (_, _) => throw new InvalidOperationException("the store is down") };
        (ProcessorHarness harness, ScriptedHandler handler) = Deduplicating(store);

        await harness.Create(handler).ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None).WaitAsync(s_deadline);

        Assert.Equal(0, handler.Calls);
        Assert.Equal([("requeue", 1UL)], harness.Recorder.Settled);
        Assert.Empty(harness.Publisher.Attempted);
        Assert.Contains("the deduplication store failed to claim message 'm-1'", harness.Logs.AllText, StringComparison.Ordinal);
        Assert.Contains("the store is down", harness.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessAsync_WhenTheClaimDoesNotAnswerInTime_ReturnsTheMessageUnhandled()
    {
        var never = new TaskCompletionSource<RabbitHaDeduplicationResult>();
        var store = new ScriptedStore { Claim = (_, _) => new ValueTask<RabbitHaDeduplicationResult>(never.Task) };
        (ProcessorHarness harness, ScriptedHandler handler) = Deduplicating(store);

        await harness.Create(handler).ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None).WaitAsync(s_deadline);

        Assert.Equal(0, handler.Calls);
        Assert.Equal([("requeue", 1UL)], harness.Recorder.Settled);
        Assert.Contains("The deduplication store did not answer within 00:00:00.1000000 (DeduplicationStoreTimeout).", harness.Logs.AllText, StringComparison.Ordinal);
        Assert.True(store.LastToken.IsCancellationRequested, "the store's call is told that nobody waits for it any more");
    }

    [Fact]
    public async Task ProcessAsync_WhenTheClaimBlocksItsThread_ReturnsTheMessageUnhandled()
    {
        using var gate = new ManualResetEventSlim();
        var store = new ScriptedStore
        {
            Claim = (_, _) =>
            {
                gate.Wait(CancellationToken.None);
                return new ValueTask<RabbitHaDeduplicationResult>(RabbitHaDeduplicationResult.Claimed);
            },
        };
        (ProcessorHarness harness, ScriptedHandler handler) = Deduplicating(store);
        try
        {
            await harness.Create(handler).ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None).WaitAsync(s_deadline);

            Assert.Equal(0, handler.Calls);
            Assert.Equal([("requeue", 1UL)], harness.Recorder.Settled);
        }
        finally
        {
            gate.Set();
        }
    }

    [Fact]
    public async Task ProcessAsync_WhenTheStoreGrantsTheClaimAfterTheTimeout_ReleasesIt()
    {
        var inner = new InMemoryRabbitHaDeduplicationStore();
        var store = new ScriptedStore(inner)
        {
            Claim = async (id, _) =>
            {
                await Task.Delay(TimeSpan.FromMilliseconds(300), CancellationToken.None);
                return await inner.TryClaimAsync(Queue, id, CancellationToken.None);
            },
        };
        (ProcessorHarness harness, ScriptedHandler handler) = Deduplicating(store);

        await harness.Create(handler).ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None).WaitAsync(s_deadline);

        await Eventually.HoldsAsync(() => store.Operations.Contains("release m-1"), "the late claim is released");
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await inner.TryClaimAsync(Queue, "m-1", CancellationToken.None));
        Assert.Equal([("requeue", 1UL)], harness.Recorder.Settled);
    }

    [Fact]
    public async Task ProcessAsync_WhenMarkingAsHandledThrows_StillAcknowledges_AndLogsIt()
    {
        var store = new ScriptedStore { Mark = (_, _) => throw new InvalidOperationException("cannot write") };
        (ProcessorHarness harness, ScriptedHandler handler) = Deduplicating(store);

        await harness.Create(handler).ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None).WaitAsync(s_deadline);

        Assert.Equal(1, handler.Calls);
        Assert.Equal([("ack", 1UL)], harness.Recorder.Settled);
        Assert.Contains("the deduplication store failed to mark as handled message 'm-1'", harness.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessAsync_WhenMarkingAsHandledDoesNotAnswer_AcknowledgesAfterTheStoreTimeout()
    {
        var never = new TaskCompletionSource();
        var store = new ScriptedStore { Mark = (_, _) => new ValueTask(never.Task) };
        (ProcessorHarness harness, ScriptedHandler handler) = Deduplicating(store);

        await harness.Create(handler).ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None).WaitAsync(s_deadline);

        Assert.Equal([("ack", 1UL)], harness.Recorder.Settled);
        Assert.Contains("did not answer within", harness.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessAsync_WhenReleasingAFailedMessagesClaimThrows_StillRetriesTheMessage()
    {
        var store = new ScriptedStore { Release = (_, _) => throw new InvalidOperationException("cannot delete") };
        (ProcessorHarness harness, ScriptedHandler handler) = Deduplicating(store);
        handler.Fail = true;

        await harness.Create(handler).ProcessAsync(harness.Channel, 1, false, "", Queue, Properties("m-1"), Body("a"), CancellationToken.None).WaitAsync(s_deadline);

        Assert.Single(harness.Publisher.Confirmed);
        Assert.Equal([("ack", 1UL)], harness.Recorder.Settled);
        Assert.Contains("the deduplication store failed to release message 'm-1'", harness.Logs.AllText, StringComparison.Ordinal);
    }

    private static (ProcessorHarness Harness, ScriptedHandler Handler) Deduplicating(IRabbitHaDeduplicationStore store)
    {
        var harness = new ProcessorHarness { Store = store };
        harness.Options.DeduplicateByMessageId = true;
        harness.Options.DeduplicationStoreTimeout = TimeSpan.FromMilliseconds(100);
        return (harness, new ScriptedHandler());
    }

    /// <summary>A store whose operations the test scripts; the rest go to an in-memory store. Records what it was asked.</summary>
    private sealed class ScriptedStore(InMemoryRabbitHaDeduplicationStore? inner = null) : IRabbitHaDeduplicationStore
    {
        private readonly InMemoryRabbitHaDeduplicationStore _inner = inner ?? new InMemoryRabbitHaDeduplicationStore();
        private readonly ConcurrentQueue<string> _operations = new();

        public Func<string, CancellationToken, ValueTask<RabbitHaDeduplicationResult>>? Claim { get; init; }

        public Func<string, CancellationToken, ValueTask>? Mark { get; init; }

        public Func<string, CancellationToken, ValueTask>? Release { get; init; }

        public CancellationToken LastToken { get; private set; }

        public IReadOnlyCollection<string> Operations => _operations.ToArray();

        public ValueTask<RabbitHaDeduplicationResult> TryClaimAsync(string scope, string messageId, CancellationToken cancellationToken)
        {
            _operations.Enqueue($"claim {messageId}");
            LastToken = cancellationToken;
            return Claim is { } claim ? claim(messageId, cancellationToken) : _inner.TryClaimAsync(scope, messageId, cancellationToken);
        }

        public ValueTask MarkHandledAsync(string scope, string messageId, CancellationToken cancellationToken)
        {
            _operations.Enqueue($"mark {messageId}");
            return Mark is { } mark ? mark(messageId, cancellationToken) : _inner.MarkHandledAsync(scope, messageId, cancellationToken);
        }

        public ValueTask ReleaseAsync(string scope, string messageId, CancellationToken cancellationToken)
        {
            _operations.Enqueue($"release {messageId}");
            return Release is { } release ? release(messageId, cancellationToken) : _inner.ReleaseAsync(scope, messageId, cancellationToken);
        }
    }
}
