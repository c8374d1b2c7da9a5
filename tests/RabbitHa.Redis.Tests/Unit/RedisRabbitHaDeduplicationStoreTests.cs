namespace RabbitHa.Redis.Tests.Unit;

/// <summary>The store's argument checks and its keys, without a Redis (it connects only when first called).</summary>
[Trait("Category", "Unit")]
public sealed class RedisRabbitHaDeduplicationStoreTests
{
    // Nothing listens on port 1: the store starts connecting in the background and never gets there.
    private const string Nowhere = "127.0.0.1:1,connectTimeout=200";

    [Fact]
    public void Constructor_WithoutOptions_ThrowsNamingThem()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => new RedisRabbitHaDeduplicationStore(null!));
        Assert.Equal("options", ex.ParamName);
    }

    [Fact]
    public void Constructor_WithoutConnection_ThrowsNamingIt()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => new RedisRabbitHaDeduplicationStore(null!, new RedisDeduplicationOptions()));
        Assert.Equal("redis", ex.ParamName);
    }

    [Fact]
    public void Constructor_WithInvalidOptions_ThrowsListingEachFailure()
    {
        var ex = Assert.Throws<ArgumentException>(() => new RedisRabbitHaDeduplicationStore(new RedisDeduplicationOptions
        {
            Configuration = Nowhere,
            ClaimExpiry = TimeSpan.Zero,
            HandledExpiry = TimeSpan.Zero,
        }));

        Assert.Equal("options", ex.ParamName);
        Assert.Contains("RabbitHa:Redis:ClaimExpiry must be between", ex.Message, StringComparison.Ordinal);
        Assert.Contains("RabbitHa:Redis:HandledExpiry must be between", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_WithoutConfiguration_ThrowsNamingIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => new RedisRabbitHaDeduplicationStore(new RedisDeduplicationOptions()));
        Assert.Contains("RabbitHa:Redis:Configuration is required", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Endpoints_AreTheConfiguredHostsAndPorts_WithoutThePassword()
    {
        await using var store = new RedisRabbitHaDeduplicationStore(new RedisDeduplicationOptions
        {
            Configuration = "127.0.0.1:1,localhost,password=hunter2,connectTimeout=200",
        });

        Assert.Equal("127.0.0.1:1, localhost:6379", store.Endpoints);
    }

    [Fact]
    public async Task KeyFor_UsesThePrefix()
    {
        await using var store = new RedisRabbitHaDeduplicationStore(new RedisDeduplicationOptions { Configuration = Nowhere, KeyPrefix = "app1:" });

        Assert.Equal("app1:orders:42", store.KeyFor("orders", "42"));
    }

    [Fact]
    public async Task Owner_DiffersBetweenInstances()
    {
        await using var first = new RedisRabbitHaDeduplicationStore(new RedisDeduplicationOptions { Configuration = Nowhere });
        await using var second = new RedisRabbitHaDeduplicationStore(new RedisDeduplicationOptions { Configuration = Nowhere });

        Assert.NotEqual(first.Owner, second.Owner);
        Assert.Equal(16, first.Owner.Length);
    }

    [Fact]
    public async Task Calls_CheckTheirArguments()
    {
        await using var store = new RedisRabbitHaDeduplicationStore(new RedisDeduplicationOptions { Configuration = Nowhere });

        Assert.Equal("scope", (await Assert.ThrowsAsync<ArgumentNullException>(() => store.TryClaimAsync(null!, "1", default).AsTask())).ParamName);
        Assert.Equal("messageId", (await Assert.ThrowsAsync<ArgumentNullException>(() => store.TryClaimAsync("q", null!, default).AsTask())).ParamName);
        Assert.Equal("scope", (await Assert.ThrowsAsync<ArgumentNullException>(() => store.MarkHandledAsync(null!, "1", default).AsTask())).ParamName);
        Assert.Equal("messageId", (await Assert.ThrowsAsync<ArgumentNullException>(() => store.ReleaseAsync("q", null!, default).AsTask())).ParamName);
    }

    [Fact]
    public async Task MarkAndRelease_OfAMessageNeverClaimed_DoNotTouchRedis()
    {
        // Redis is unreachable: a call that went to it would fail (FailClosed), these return at once.
        await using var store = new RedisRabbitHaDeduplicationStore(new RedisDeduplicationOptions { Configuration = Nowhere });

        await store.MarkHandledAsync("orders", "1", default);
        await store.ReleaseAsync("orders", "1", default);
    }

    [Fact]
    public async Task Calls_AfterDispose_Throw()
    {
        var store = new RedisRabbitHaDeduplicationStore(new RedisDeduplicationOptions { Configuration = Nowhere });
        await store.DisposeAsync();
        store.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.TryClaimAsync("orders", "1", default).AsTask());
    }
}
