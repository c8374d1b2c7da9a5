using RabbitHa.Client;
using RabbitHa.Redis.Tests.Support;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace RabbitHa.Redis.Tests.Integration;

/// <summary>
/// Redis killed (SIGKILL of the child process: everything in it is lost) or slow (<c>CLIENT PAUSE</c>): FailClosed throws,
/// FailOpen claims without Redis; each such call is logged (endpoint and scope, never the password) and counted; started
/// again, Redis is used again. A Redis server of this class's own, since the tests break it; one test at a time.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RedisOutageTests(RedisServerFixture fixture, ITestOutputHelper output) : IClassFixture<RedisServerFixture>, IAsyncLifetime, IDisposable
{
    // Long enough for a loaded two-core machine to answer in time while Redis is up: only the outage is to be counted.
    private static readonly TimeSpan s_operationTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_pause = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan s_backTimeout = TimeSpan.FromSeconds(30);

    private readonly string _scope = "queue-" + Guid.NewGuid().ToString("N")[..12];
    private readonly MeasurementRecorder _unavailable = new(RedisDeduplicationDiagnostics.StoreUnavailableInstrument);
    private readonly RecordingLogger<RedisRabbitHaDeduplicationStore> _log = new(output);

    private RedisServer Redis => fixture.Server;

    public Task InitializeAsync() => Task.CompletedTask;

    public void Dispose() => _unavailable.Dispose();

    public async Task DisposeAsync()
    {
        // Whatever the test did, the next one finds Redis up.
        if (RedisAvailability.ServerPath is not null && Redis.ProcessId is null)
        {
            await Redis.RestartAsync();
        }
    }

    [RedisFact]
    public async Task TryClaimAsync_WhenRedisIsKilled_FailClosed_ThrowsAndCounts_ThenWorksAgainOnceItIsBack()
    {
        await using var store = Store(RedisUnavailableBehavior.FailClosed);
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await store.TryClaimAsync(_scope, "m-0", default));
        await store.MarkHandledAsync(_scope, "m-0", default);

        int since = Since();
        await Redis.KillAsync();
        Exception failure = await Assert.ThrowsAnyAsync<Exception>(() => store.TryClaimAsync(_scope, "m-1", default).AsTask());

        output.WriteLine($"While killed: {failure.GetType().Name}: {failure.Message}");
        Assert.True(failure is TimeoutException or RedisException, $"unexpected {failure.GetType()}");
        Assert.Equal(1, Counted("fail_closed", "claim", since));
        string warning = Assert.Single(_log.Warnings, w => w.Contains("message 'm-1'", StringComparison.Ordinal));
        Assert.Contains($"Redis at {Redis.Endpoint} unavailable for claim of message 'm-1' in scope '{_scope}'", warning, StringComparison.Ordinal);
        Assert.Contains("WhenUnavailable is FailClosed: the consumer returns the message to its queue", warning, StringComparison.Ordinal);
        Assert.Equal(0, store.HeldClaims);

        await Redis.RestartAsync();
        await Eventually.HoldsAsync(async () => await TryClaimQuietlyAsync(store, "m-1") == RabbitHaDeduplicationResult.Claimed, s_backTimeout, "Redis answers again");
        await store.MarkHandledAsync(_scope, "m-1", default);
        Assert.Equal("handled", await Redis.GetAsync(store.KeyFor(_scope, "m-1")));
        AssertNoPasswordLogged();
    }

    [RedisFact]
    public async Task TryClaimAsync_WhenRedisIsKilled_FailOpen_ClaimsWithoutIt_AndCounts_ThenRecordsOnceItIsBack()
    {
        await using var store = Store(RedisUnavailableBehavior.FailOpen);
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await store.TryClaimAsync(_scope, "m-0", default));
        await store.MarkHandledAsync(_scope, "m-0", default);

        int since = Since();
        await Redis.KillAsync();
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await store.TryClaimAsync(_scope, "m-1", default));
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await store.TryClaimAsync(_scope, "m-2", default));
        await store.MarkHandledAsync(_scope, "m-1", default); // not thrown: only logged and counted
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await store.TryClaimAsync(_scope, "m-1", default)); // the record was lost with Redis

        Assert.Equal(3, Counted("fail_open", "claim", since));
        Assert.Equal(1, Counted("fail_open", "mark_handled", since));
        Assert.Contains(_log.Warnings, w => w.Contains("WhenUnavailable is FailOpen: the message is handled without a claim", StringComparison.Ordinal));

        await Redis.RestartAsync();
        await Eventually.HoldsAsync(async () => await TryClaimQuietlyAsync(store, "m-3") == RabbitHaDeduplicationResult.Claimed, s_backTimeout, "Redis answers again");

        // m-2 was claimed while Redis was away: its record is written now that it is back.
        await store.MarkHandledAsync(_scope, "m-2", default);
        Assert.Equal("handled", await Redis.GetAsync(store.KeyFor(_scope, "m-2")));
        AssertNoPasswordLogged();
    }

    [RedisFact]
    public async Task AStore_CreatedWhileRedisIsDown_FailsItsCalls_ThenConnectsOnceRedisIsUp()
    {
        await Redis.KillAsync();
        await using var store = Store(RedisUnavailableBehavior.FailClosed);

        await Assert.ThrowsAsync<TimeoutException>(() => store.TryClaimAsync(_scope, "m-1", default).AsTask());
        Assert.Equal(1, Counted("fail_closed", "claim", since: 0));

        await Redis.RestartAsync();
        await Eventually.HoldsAsync(async () => await TryClaimQuietlyAsync(store, "m-1") == RabbitHaDeduplicationResult.Claimed, s_backTimeout, "the store connects");
        await store.MarkHandledAsync(_scope, "m-1", default);
        Assert.Equal("handled", await Redis.GetAsync(store.KeyFor(_scope, "m-1")));
        AssertNoPasswordLogged();
    }

    [RedisFact]
    public async Task MarkHandledAsync_WhenRedisIsKilled_FailClosed_ThrowsAndCounts()
    {
        await using var store = Store(RedisUnavailableBehavior.FailClosed);
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await store.TryClaimAsync(_scope, "m-1", default));
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await store.TryClaimAsync(_scope, "m-2", default));

        int since = Since();
        await Redis.KillAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => store.MarkHandledAsync(_scope, "m-1", default).AsTask());
        await Assert.ThrowsAnyAsync<Exception>(() => store.ReleaseAsync(_scope, "m-2", default).AsTask());

        Assert.Equal(1, Counted("fail_closed", "mark_handled", since));
        Assert.Equal(1, Counted("fail_closed", "release", since));
        Assert.Contains(_log.Warnings, w => w.Contains("a later copy of it may be handled again", StringComparison.Ordinal));
        Assert.Contains(_log.Warnings, w => w.Contains("its claim stays until it expires (ClaimExpiry 00:06:00)", StringComparison.Ordinal));
        Assert.Equal(0, store.HeldClaims);
    }

    [RedisFact]
    public async Task TryClaimAsync_WhenRedisIsSlow_FailClosed_ThrowsATimeoutNamingTheOption_AndReleasesTheClaimRedisWritesLate()
    {
        await using var store = Store(RedisUnavailableBehavior.FailClosed);
        await using var other = Store(RedisUnavailableBehavior.FailClosed);
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await store.TryClaimAsync(_scope, "m-0", default));

        int since = Since();
        await Redis.PauseAsync(s_pause);
        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => store.TryClaimAsync(_scope, "m-1", default).AsTask());

        Assert.Equal(
            $"Redis at {Redis.Endpoint} did not answer the deduplication store's claim of message 'm-1' in scope '{_scope}' within 00:00:01 (OperationTimeout).",
            timeout.Message);
        Assert.Equal(1, Counted("fail_closed", "claim", since));
        Assert.Contains("no answer within 00:00:01 (OperationTimeout)", Assert.Single(_log.Warnings, w => w.Contains("message 'm-1'", StringComparison.Ordinal)), StringComparison.Ordinal);

        // Once the pause is over, Redis runs the claim it held; the store releases it, so the message is not in progress for 6 minutes.
        await Eventually.HoldsAsync(async () => await TryClaimQuietlyAsync(other, "m-1") == RabbitHaDeduplicationResult.Claimed,
            TimeSpan.FromSeconds(15), "the late claim is released");
    }

    [RedisFact]
    public async Task TryClaimAsync_WhenRedisIsSlow_FailOpen_Claims_AndTheClaimRedisWritesLateIsTheCallersOwn()
    {
        await using var store = Store(RedisUnavailableBehavior.FailOpen);
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await store.TryClaimAsync(_scope, "m-0", default));

        int since = Since();
        await Redis.PauseAsync(s_pause);
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await store.TryClaimAsync(_scope, "m-1", default));

        Assert.Equal(1, Counted("fail_open", "claim", since));
        await Eventually.HoldsAsync(async () => (await Redis.GetAsync(store.KeyFor(_scope, "m-1")))?.StartsWith($"claimed:{store.Owner}:", StringComparison.Ordinal) == true,
            TimeSpan.FromSeconds(15), "Redis writes the claim once the pause is over");
        await store.MarkHandledAsync(_scope, "m-1", default);
        Assert.Equal("handled", await Redis.GetAsync(store.KeyFor(_scope, "m-1")));
    }

    [RedisFact]
    public async Task TryClaimAsync_WhenTheCallerGivesUp_IsNotCounted_AndTheLateClaimIsReleased()
    {
        // The consumer's DeduplicationStoreTimeout, shorter here than the store's own OperationTimeout.
        await using var store = Store(RedisUnavailableBehavior.FailOpen, TimeSpan.FromSeconds(10));
        await using var other = Store(RedisUnavailableBehavior.FailClosed);
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await store.TryClaimAsync(_scope, "m-0", default));

        int since = Since();
        await Redis.PauseAsync(s_pause);
        using var caller = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.TryClaimAsync(_scope, "m-1", caller.Token).AsTask());

        Assert.Equal(0, Counted("fail_open", "claim", since));
        Assert.DoesNotContain(_log.Warnings, w => w.Contains("message 'm-1'", StringComparison.Ordinal));
        await Eventually.HoldsAsync(async () => await TryClaimQuietlyAsync(other, "m-1") == RabbitHaDeduplicationResult.Claimed,
            TimeSpan.FromSeconds(15), "the late claim is released");
    }

    /// <summary>Where the measurements so far end: what a test counts after it is what its outage caused.</summary>
    private int Since() => _unavailable.Measurements.Count;

    private long Counted(string whenUnavailable, string operation, int since) =>
        _unavailable.Measurements
            .Skip(since)
            .Where(m => Equals(m.Tags[RedisDeduplicationDiagnostics.ScopeTag], _scope)
                && Equals(m.Tags[RedisDeduplicationDiagnostics.WhenUnavailableTag], whenUnavailable)
                && Equals(m.Tags[RedisDeduplicationDiagnostics.OperationTag], operation))
            .Sum(m => m.Value);

    private void AssertNoPasswordLogged()
    {
        foreach (var entry in _log.Entries)
        {
            Assert.DoesNotContain(Redis.Password, entry.Message, StringComparison.Ordinal);
        }
    }

    private async Task<RabbitHaDeduplicationResult?> TryClaimQuietlyAsync(RedisRabbitHaDeduplicationStore store, string messageId)
    {
        try
        {
            return await store.TryClaimAsync(_scope, messageId, default);
        }
        catch (Exception ex) when (ex is TimeoutException or RedisException)
        {
            return null;
        }
    }

    private RedisRabbitHaDeduplicationStore Store(RedisUnavailableBehavior whenUnavailable, TimeSpan? operationTimeout = null) =>
        new(new RedisDeduplicationOptions
        {
            Configuration = Redis.Configuration,
            WhenUnavailable = whenUnavailable,
            OperationTimeout = operationTimeout ?? s_operationTimeout,
        }, _log);
}
