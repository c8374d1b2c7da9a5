namespace RabbitHa.Client.Tests.Consuming;

[Trait("Category", "Unit")]
public sealed class InMemoryRabbitHaDeduplicationStoreTests
{
    [Fact]
    public async Task TryClaim_ThenMarkHandled_LaterCopiesAreAlreadyHandled()
    {
        var store = new InMemoryRabbitHaDeduplicationStore();

        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await store.TryClaimAsync("q", "m-1", default));
        await store.MarkHandledAsync("q", "m-1", default);

        Assert.Equal(RabbitHaDeduplicationResult.AlreadyHandled, await store.TryClaimAsync("q", "m-1", default));
    }

    [Fact]
    public async Task TryClaim_WhileClaimed_IsInProgress_AndAfterReleaseCanBeClaimedAgain()
    {
        var store = new InMemoryRabbitHaDeduplicationStore();
        await store.TryClaimAsync("q", "m-1", default);

        Assert.Equal(RabbitHaDeduplicationResult.InProgress, await store.TryClaimAsync("q", "m-1", default));
        await store.ReleaseAsync("q", "m-1", default);
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await store.TryClaimAsync("q", "m-1", default));
    }

    [Fact]
    public async Task Scopes_AreIndependent()
    {
        var store = new InMemoryRabbitHaDeduplicationStore();
        await store.TryClaimAsync("orders", "m-1", default);
        await store.MarkHandledAsync("orders", "m-1", default);

        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await store.TryClaimAsync("audit", "m-1", default));
    }

    [Fact]
    public async Task Window_ForgetsTheOldestBeyondCapacity()
    {
        var store = new InMemoryRabbitHaDeduplicationStore(capacity: 3);
        foreach (string id in new[] { "a", "b", "c", "d" })
        {
            await store.TryClaimAsync("q", id, default);
            await store.MarkHandledAsync("q", id, default);
        }

        Assert.Equal(3, store.Count);
        Assert.Equal(RabbitHaDeduplicationResult.Claimed, await store.TryClaimAsync("q", "a", default));
        Assert.Equal(RabbitHaDeduplicationResult.AlreadyHandled, await store.TryClaimAsync("q", "b", default));
        Assert.Equal(RabbitHaDeduplicationResult.AlreadyHandled, await store.TryClaimAsync("q", "d", default));
    }

    [Fact]
    public async Task MarkHandled_Twice_CountsOnce()
    {
        var store = new InMemoryRabbitHaDeduplicationStore(capacity: 2);
        await store.MarkHandledAsync("q", "a", default);
        await store.MarkHandledAsync("q", "a", default);
        await store.MarkHandledAsync("q", "b", default);

        Assert.Equal(RabbitHaDeduplicationResult.AlreadyHandled, await store.TryClaimAsync("q", "a", default));
    }

    [Fact]
    public void Constructor_WhenCapacityBelowOne_Throws()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new InMemoryRabbitHaDeduplicationStore(0));

        Assert.Equal("capacity", ex.ParamName);
    }

    [Fact]
    public async Task TryClaim_WhenMessageIdNull_ThrowsForMessageId()
    {
        var store = new InMemoryRabbitHaDeduplicationStore();

        var ex = await Assert.ThrowsAsync<ArgumentNullException>(async () => await store.TryClaimAsync("q", null!, default));

        Assert.Equal("messageId", ex.ParamName);
    }
}
