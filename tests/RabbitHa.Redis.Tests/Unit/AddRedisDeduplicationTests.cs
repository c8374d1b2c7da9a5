using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RabbitHa.Client;
using StackExchange.Redis;

namespace RabbitHa.Redis.Tests.Unit;

/// <summary>The registration: Redis becomes the consumers' store whatever the order, once, with options validated at start.</summary>
[Trait("Category", "Unit")]
public sealed class AddRedisDeduplicationTests
{
    // Nothing listens on port 1: the store starts connecting in the background and never gets there.
    private const string Nowhere = "127.0.0.1:1,connectTimeout=200";

    [Fact]
    public async Task AddRedisDeduplication_AfterAddConsumer_ReplacesTheInMemoryStore()
    {
        var services = new ServiceCollection();
        services.AddRabbitHa(o => o.Uri = "amqp://app:secret@localhost:5672/")
            .AddConsumer<NoopHandler>("orders", o => o.DeduplicateByMessageId = true)
            .AddRedisDeduplication(o => o.Configuration = Nowhere);

        await using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Single(services, d => d.ServiceType == typeof(IRabbitHaDeduplicationStore));
        Assert.IsType<RedisRabbitHaDeduplicationStore>(provider.GetRequiredService<IRabbitHaDeduplicationStore>());
        Assert.Same(provider.GetRequiredService<RedisRabbitHaDeduplicationStore>(), provider.GetRequiredService<IRabbitHaDeduplicationStore>());
    }

    [Fact]
    public async Task AddRedisDeduplication_BeforeAddConsumer_IsNotReplacedByTheInMemoryStore()
    {
        var services = new ServiceCollection();
        services.AddRabbitHa(o => o.Uri = "amqp://app:secret@localhost:5672/")
            .AddRedisDeduplication(o => o.Configuration = Nowhere)
            .AddConsumer<NoopHandler>("orders", o => o.DeduplicateByMessageId = true);

        await using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Single(services, d => d.ServiceType == typeof(IRabbitHaDeduplicationStore));
        Assert.IsType<RedisRabbitHaDeduplicationStore>(provider.GetRequiredService<IRabbitHaDeduplicationStore>());
    }

    [Fact]
    public async Task AddRedisDeduplication_CalledTwice_RegistersOneStore_AndAppliesBothConfigureActions()
    {
        var services = new ServiceCollection();
        services.AddRabbitHa(o => o.Uri = "amqp://app:secret@localhost:5672/")
            .AddRedisDeduplication(o =>
            {
                o.Configuration = Nowhere;
                o.KeyPrefix = "app1:";
            })
            .AddConsumer<NoopHandler>("orders", o => o.DeduplicateByMessageId = true)
            .AddRedisDeduplication(o => o.WhenUnavailable = RedisUnavailableBehavior.FailOpen);

        await using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Single(services, d => d.ServiceType == typeof(IRabbitHaDeduplicationStore));
        Assert.Single(services, d => d.ServiceType == typeof(RedisRabbitHaDeduplicationStore));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<RedisDeduplicationOptions>));
        RedisDeduplicationOptions options = provider.GetRequiredService<IOptions<RedisDeduplicationOptions>>().Value;
        Assert.Equal("app1:", options.KeyPrefix);
        Assert.Equal(RedisUnavailableBehavior.FailOpen, options.WhenUnavailable);
        Assert.Equal("app1:orders:1", provider.GetRequiredService<RedisRabbitHaDeduplicationStore>().KeyFor("orders", "1"));
    }

    [Fact]
    public async Task AddRedisDeduplication_WithoutConfiguration_UsesTheRegisteredConnection()
    {
        await using ConnectionMultiplexer redis = await ConnectionMultiplexer.ConnectAsync("127.0.0.1:1,abortConnect=false,connectTimeout=200");
        var services = new ServiceCollection();
        services.AddSingleton<IConnectionMultiplexer>(redis);
        services.AddRabbitHa(o => o.Uri = "amqp://app:secret@localhost:5672/").AddRedisDeduplication();

        await using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Equal("127.0.0.1:1", provider.GetRequiredService<RedisRabbitHaDeduplicationStore>().Endpoints);
    }

    [Fact]
    public void AddRedisDeduplication_FromASection_BindsItAndNamesOptionsByItsPath()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Messaging:Dedupe:Configuration"] = "redis:6379,password=hunter2",
            ["Messaging:Dedupe:KeyPrefix"] = "orders-api:",
            ["Messaging:Dedupe:ClaimExpiry"] = "00:00:00",
            ["Messaging:Dedupe:WhenUnavailable"] = "FailOpen",
        }).Build();
        var services = new ServiceCollection();
        services.AddRabbitHa(o => o.Uri = "amqp://app:secret@localhost:5672/").AddRedisDeduplication(configuration.GetSection("Messaging:Dedupe"));
        using ServiceProvider provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RedisDeduplicationOptions>>().Value);

        Assert.Equal("Messaging:Dedupe:ClaimExpiry must be between 00:00:01 and 7.00:00:00 (was 00:00:00).", Assert.Single(ex.Failures));
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_WhenARedisOptionIsInvalid_FailsBeforeAnyBrokerIsNeeded_NamingIt()
    {
        using IHost host = Host.CreateDefaultBuilder()
            .ConfigureServices(services => services
                .AddRabbitHa(o => o.Uri = "amqp://app:secret@localhost:5672/")
                .AddConsumer<NoopHandler>("orders", o => o.DeduplicateByMessageId = true)
                .AddRedisDeduplication(o =>
                {
                    o.Configuration = "redis:6379,password=hunter2";
                    o.HandledExpiry = TimeSpan.Zero;
                }))
            .Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("RabbitHa:Redis:HandledExpiry must be between 00:00:01 and 365.00:00:00 (was 00:00:00).", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConsumerOptions_WhenHandlerTimeoutOutlivesTheClaim_FailNamingBoth()
    {
        using ServiceProvider provider = Build(o =>
        {
            o.DeduplicateByMessageId = true;
            o.HandlerTimeout = TimeSpan.FromMinutes(10);
        });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<RabbitHaConsumerOptions>>().Get("orders"));

        Assert.Equal(
            "Consumer 'orders': HandlerTimeout must be shorter than RabbitHa:Redis:ClaimExpiry (00:06:00) to deduplicate with Redis, or a claim may expire " +
            "while its handler still runs and another process handle the message at the same time (was 00:10:00).",
            Assert.Single(ex.Failures));
    }

    [Fact]
    public void ConsumerOptions_WithAnInfiniteHandlerTimeout_Fail()
    {
        using ServiceProvider provider = Build(o =>
        {
            o.DeduplicateByMessageId = true;
            o.HandlerTimeout = Timeout.InfiniteTimeSpan;
        });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<RabbitHaConsumerOptions>>().Get("orders"));

        Assert.Contains("HandlerTimeout must be shorter than RabbitHa:Redis:ClaimExpiry", Assert.Single(ex.Failures), StringComparison.Ordinal);
        Assert.Contains("(was infinite)", ex.Failures.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void ConsumerOptions_WhenTheStoreTimeoutIsNotAboveRedisOperationTimeout_Fail()
    {
        using ServiceProvider provider = Build(o =>
        {
            o.DeduplicateByMessageId = true;
            o.DeduplicationStoreTimeout = TimeSpan.FromSeconds(2);
        });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<RabbitHaConsumerOptions>>().Get("orders"));

        Assert.Equal(
            "Consumer 'orders': DeduplicationStoreTimeout must be longer than RabbitHa:Redis:OperationTimeout (00:00:02), " +
            "or the consumer gives up on a slow Redis before WhenUnavailable applies (was 00:00:02).",
            Assert.Single(ex.Failures));
    }

    [Fact]
    public void ConsumerOptions_WithoutDeduplication_AreNotCheckedAgainstRedis()
    {
        using ServiceProvider provider = Build(o => o.HandlerTimeout = TimeSpan.FromHours(1));

        Assert.Equal(TimeSpan.FromHours(1), provider.GetRequiredService<IOptionsMonitor<RabbitHaConsumerOptions>>().Get("orders").HandlerTimeout);
    }

    [Fact]
    public void ConsumerOptions_WithTheDefaults_PassWithDeduplication()
    {
        using ServiceProvider provider = Build(o => o.DeduplicateByMessageId = true);

        Assert.True(provider.GetRequiredService<IOptionsMonitor<RabbitHaConsumerOptions>>().Get("orders").DeduplicateByMessageId);
    }

    [Fact]
    public void AddRedisDeduplication_ChecksItsArguments()
    {
        Assert.Equal("builder", Assert.Throws<ArgumentNullException>(() => RabbitHaRedisBuilderExtensions.AddRedisDeduplication(null!)).ParamName);
        Assert.Equal("builder", Assert.Throws<ArgumentNullException>(() => RabbitHaRedisBuilderExtensions.AddRedisDeduplication(null!, new ConfigurationBuilder().Build())).ParamName);
        IRabbitHaBuilder builder = new ServiceCollection().AddRabbitHa(o => o.Uri = "amqp://app:secret@localhost:5672/");
        Assert.Equal("configuration", Assert.Throws<ArgumentNullException>(() => builder.AddRedisDeduplication((IConfiguration)null!)).ParamName);
    }

    private static ServiceProvider Build(Action<RabbitHaConsumerOptions> consumer)
    {
        var services = new ServiceCollection();
        services.AddRabbitHa(o => o.Uri = "amqp://app:secret@localhost:5672/")
            .AddConsumer<NoopHandler>("orders", consumer)
            .AddRedisDeduplication(o => o.Configuration = Nowhere);
        return services.BuildServiceProvider();
    }

    private sealed class NoopHandler : IRabbitHaHandler<ReadOnlyMemory<byte>>
    {
        public Task HandleAsync(ReadOnlyMemory<byte> message, RabbitHaMessageContext context, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
