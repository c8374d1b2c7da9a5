using RabbitHa.Client;
using RabbitHa.Redis.Tests.Support;
using Xunit.Abstractions;

namespace RabbitHa.Redis.Tests.Integration;

/// <summary>
/// The store against a real Redis, two instances standing for two processes: one claim wins, the other sees it in progress,
/// then handled; a claim ends only by its owner, or by expiry when its process died.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RedisStoreTests(RedisServerFixture fixture, ITestOutputHelper output) : IClassFixture<RedisServerFixture>
{
    private RedisServer Redis => fixture.Server;

    [RedisFact]
    public async Task TryClaimAsync_InTwoProcesses_OneClaims_TheOtherSeesInProgress_ThenAlreadyHandled()
    {
        string scope = NewScope();
        await using var first = Store();
        await using var second = Store();

        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await first.TryClaimAsync(scope, "m-1", default));
        Assert.Equal(RabbitHaDeduplicationResult.InProgress, await second.TryClaimAsync(scope, "m-1", default));
        Assert.Equal(RabbitHaDeduplicationResult.InProgress, await first.TryClaimAsync(scope, "m-1", default));
        Assert.StartsWith($"claimed:{first.Owner}:", await Redis.GetAsync(first.KeyFor(scope, "m-1")), StringComparison.Ordinal);
        TimeSpan? claimTtl = await Redis.TimeToLiveAsync(first.KeyFor(scope, "m-1"));
        Assert.InRange(claimTtl!.Value, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(6));

        await first.MarkHandledAsync(scope, "m-1", default);

        Assert.Equal("handled", await Redis.GetAsync(first.KeyFor(scope, "m-1")));
        TimeSpan? handledTtl = await Redis.TimeToLiveAsync(first.KeyFor(scope, "m-1"));
        Assert.InRange(handledTtl!.Value, TimeSpan.FromHours(23), TimeSpan.FromHours(24));
        Assert.Equal(RabbitHaDeduplicationResult.AlreadyHandled, await second.TryClaimAsync(scope, "m-1", default));
        Assert.Equal(RabbitHaDeduplicationResult.AlreadyHandled, await first.TryClaimAsync(scope, "m-1", default));
        Assert.Equal(0, first.HeldClaims);
    }

    [RedisFact]
    public async Task ReleaseAsync_ByTheOwner_FreesTheMessageForAnotherProcess()
    {
        string scope = NewScope();
        await using var first = Store();
        await using var second = Store();
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await first.TryClaimAsync(scope, "m-1", default));

        await first.ReleaseAsync(scope, "m-1", default);

        Assert.Null(await Redis.GetAsync(first.KeyFor(scope, "m-1")));
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await second.TryClaimAsync(scope, "m-1", default));
    }

    [RedisFact]
    public async Task AClaim_OfAProcessThatDied_IsFreedByExpiryOnly()
    {
        string scope = NewScope();
        var crashed = Store(o => o.ClaimExpiry = TimeSpan.FromSeconds(1));
        await using var survivor = Store(o => o.ClaimExpiry = TimeSpan.FromSeconds(1));
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await crashed.TryClaimAsync(scope, "m-1", default));
        await crashed.DisposeAsync(); // its handler never marks nor releases

        Assert.Equal(RabbitHaDeduplicationResult.InProgress, await survivor.TryClaimAsync(scope, "m-1", default));
        TimeSpan? ttl = await Redis.TimeToLiveAsync(survivor.KeyFor(scope, "m-1"));
        Assert.InRange(ttl!.Value, TimeSpan.Zero, TimeSpan.FromSeconds(1));

        await Eventually.HoldsAsync(async () => await survivor.TryClaimAsync(scope, "m-1", default) == RabbitHaDeduplicationResult.Claimed,
            TimeSpan.FromSeconds(10), "the dead process's claim expires");
        await survivor.MarkHandledAsync(scope, "m-1", default);
        Assert.Equal("handled", await Redis.GetAsync(survivor.KeyFor(scope, "m-1")));
    }

    [RedisFact]
    public async Task MarkAndRelease_ByANonOwner_ChangeNothing()
    {
        string scope = NewScope();
        await using var owner = Store();
        await using var other = Store();
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await owner.TryClaimAsync(scope, "m-1", default));
        string? claim = await Redis.GetAsync(owner.KeyFor(scope, "m-1"));

        // Never claimed by the other process...
        await other.MarkHandledAsync(scope, "m-1", default);
        await other.ReleaseAsync(scope, "m-1", default);
        Assert.Equal(claim, await Redis.GetAsync(owner.KeyFor(scope, "m-1")));

        // ...or asked and found it in progress.
        Assert.Equal(RabbitHaDeduplicationResult.InProgress, await other.TryClaimAsync(scope, "m-1", default));
        await other.MarkHandledAsync(scope, "m-1", default);
        await other.ReleaseAsync(scope, "m-1", default);
        Assert.Equal(claim, await Redis.GetAsync(owner.KeyFor(scope, "m-1")));

        // The owner's own release still works.
        await owner.ReleaseAsync(scope, "m-1", default);
        Assert.Null(await Redis.GetAsync(owner.KeyFor(scope, "m-1")));
    }

    [RedisFact]
    public async Task MarkAndRelease_AfterTheClaimExpiredAndAnotherProcessClaimed_LeaveTheOthersClaim()
    {
        string scope = NewScope();
        await using var slow = Store(o => o.ClaimExpiry = TimeSpan.FromSeconds(1));
        await using var other = Store();
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await slow.TryClaimAsync(scope, "m-1", default));
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await slow.TryClaimAsync(scope, "m-2", default));
        await Eventually.HoldsAsync(async () => await other.TryClaimAsync(scope, "m-1", default) == RabbitHaDeduplicationResult.Claimed,
            TimeSpan.FromSeconds(10), "the slow handler's claim expires and the other process claims m-1");
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await other.TryClaimAsync(scope, "m-2", default));
        string? m1 = await Redis.GetAsync(other.KeyFor(scope, "m-1"));
        string? m2 = await Redis.GetAsync(other.KeyFor(scope, "m-2"));
        Assert.StartsWith($"claimed:{other.Owner}:", m1, StringComparison.Ordinal);

        await slow.MarkHandledAsync(scope, "m-1", default);
        await slow.ReleaseAsync(scope, "m-2", default);

        Assert.Equal(m1, await Redis.GetAsync(other.KeyFor(scope, "m-1")));
        Assert.Equal(m2, await Redis.GetAsync(other.KeyFor(scope, "m-2")));
    }

    [RedisFact]
    public async Task MarkHandledAsync_AfterTheClaimExpired_WithNobodyElseOnIt_RecordsTheMessageHandled()
    {
        string scope = NewScope();
        await using var slow = Store(o => o.ClaimExpiry = TimeSpan.FromSeconds(1));
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await slow.TryClaimAsync(scope, "m-1", default));
        await Eventually.HoldsAsync(async () => await Redis.GetAsync(slow.KeyFor(scope, "m-1")) is null, TimeSpan.FromSeconds(10), "the claim expires");

        await slow.MarkHandledAsync(scope, "m-1", default);

        Assert.Equal("handled", await Redis.GetAsync(slow.KeyFor(scope, "m-1")));
    }

    [RedisFact]
    public async Task MarkHandledAsync_AfterAnotherProcessHandledTheMessage_KeepsTheRecord()
    {
        string scope = NewScope();
        await using var first = Store(o => o.ClaimExpiry = TimeSpan.FromSeconds(1));
        await using var second = Store(o => o.HandledExpiry = TimeSpan.FromMinutes(1));
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await first.TryClaimAsync(scope, "m-1", default));
        await Eventually.HoldsAsync(async () => await second.TryClaimAsync(scope, "m-1", default) == RabbitHaDeduplicationResult.Claimed,
            TimeSpan.FromSeconds(10), "the first claim expires and the second process claims");
        await second.MarkHandledAsync(scope, "m-1", default);

        await first.MarkHandledAsync(scope, "m-1", default);

        // The second process's record, with its expiry, not the first one's (24 h).
        Assert.Equal("handled", await Redis.GetAsync(first.KeyFor(scope, "m-1")));
        Assert.InRange((await Redis.TimeToLiveAsync(first.KeyFor(scope, "m-1")))!.Value, TimeSpan.Zero, TimeSpan.FromMinutes(1));
    }

    [RedisFact]
    public async Task Scopes_AreApart_AndKeysCarryThePrefix()
    {
        string prefix = $"test-{Guid.NewGuid():N}:";
        await using var store = Store(o => o.KeyPrefix = prefix);

        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await store.TryClaimAsync("orders:eu", "1", default));
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await store.TryClaimAsync("orders", "eu:1", default));
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await store.TryClaimAsync("invoices", "1", default));
        await store.MarkHandledAsync("orders:eu", "1", default);

        Assert.Equal(
            [$"{prefix}invoices:1", $"{prefix}orders:eu:1", $"{prefix}orders\\:eu:1"],
            (await Redis.KeysAsync(prefix)).Order(StringComparer.Ordinal));
        Assert.Equal("handled", await Redis.GetAsync($"{prefix}orders\\:eu:1"));
        await using var other = Store(o => o.KeyPrefix = prefix);
        Assert.Equal(RabbitHaDeduplicationResult.InProgress, await other.TryClaimAsync("orders", "eu:1", default));
        Assert.Equal(RabbitHaDeduplicationResult.AlreadyHandled, await other.TryClaimAsync("orders:eu", "1", default));
    }

    [RedisFact]
    public async Task TryClaimAsync_WhenTheKeyHoldsSomethingElse_NeverDropsTheMessage()
    {
        string scope = NewScope();
        await using var store = Store();
        await Redis.SetAsync(store.KeyFor(scope, "m-1"), "something written by someone else", TimeSpan.FromMinutes(1));

        Assert.Equal(RabbitHaDeduplicationResult.InProgress, await store.TryClaimAsync(scope, "m-1", default));
    }

    [RedisFact]
    public async Task TryClaimAsync_ManyAtOnceFromTwoProcesses_EachIdIsClaimedOnce()
    {
        string scope = NewScope();
        await using var first = Store();
        await using var second = Store();
        string[] ids = Enumerable.Range(0, 500).Select(i => $"m-{i}").ToArray();

        var claims = await Task.WhenAll(ids.SelectMany(id => new[] { first, second, first, second }.Select(async store =>
            (id, result: await store.TryClaimAsync(scope, id, default)))));

        foreach (string id in ids)
        {
            Assert.Equal(1, claims.Count(c => c.id == id && c.result == RabbitHaDeduplicationResult.Claimed));
        }

        Assert.Equal(500, first.HeldClaims + second.HeldClaims);
    }

    [RedisFact]
    public async Task Store_SurvivesARedisScriptCacheFlush()
    {
        // After a restart Redis knows no script; StackExchange.Redis sends it again (EVALSHA falls back to EVAL).
        string scope = NewScope();
        await using var store = Store();
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await store.TryClaimAsync(scope, "m-1", default));
        await Redis.FlushScriptsAsync();

        await store.MarkHandledAsync(scope, "m-1", default);

        Assert.Equal("handled", await Redis.GetAsync(store.KeyFor(scope, "m-1")));
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await store.TryClaimAsync(scope, "m-2", default));
    }

    private static string NewScope() => "queue-" + Guid.NewGuid().ToString("N")[..12];

    private RedisRabbitHaDeduplicationStore Store(Action<RedisDeduplicationOptions>? configure = null)
    {
        var options = new RedisDeduplicationOptions { Configuration = Redis.Configuration };
        configure?.Invoke(options);
        return new RedisRabbitHaDeduplicationStore(options, new RecordingLogger<RedisRabbitHaDeduplicationStore>(output));
    }
}
