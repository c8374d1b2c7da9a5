using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RabbitHa.Client.Internal.Consuming;
using RabbitHa.Client.Internal.DependencyInjection;
using RabbitHa.Client.Internal.Publishing;

namespace RabbitHa.Client.Tests.Consuming;

[Trait("Category", "Unit")]
public sealed class RabbitHaConsumerBuilderExtensionsTests
{
    [Fact]
    public async Task AddConsumer_TwiceForTwoQueues_TwoConsumersInOneHostedServiceAfterTheConnectionService()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRabbitHa(o => o.Host = "127.0.0.1")
            .AddConsumer<NoopHandler>("orders", o => o.Concurrency = 4)
            .AddConsumer<OrderHandler, Order>("audit");

        await using ServiceProvider provider = services.BuildServiceProvider();
        IHostedService[] hosted = provider.GetServices<IHostedService>().ToArray();
        var consumers = Assert.Single(hosted.OfType<RabbitHaHostedService>());
        IOptionsMonitor<RabbitHaConsumerOptions> options = provider.GetRequiredService<IOptionsMonitor<RabbitHaConsumerOptions>>();

        Assert.Equal(["orders", "audit"], provider.GetServices<ConsumerRegistration>().Select(r => r.Name));
        Assert.Equal(("orders", 4), (options.Get("orders").Queue, options.Get("orders").Concurrency));
        Assert.Equal(("audit", 1), (options.Get("audit").Queue, options.Get("audit").Concurrency));
        Assert.Equal(typeof(ReadOnlyMemory<byte>), provider.GetServices<ConsumerRegistration>().First().MessageType);

        consumers.StartConsumers();
        Assert.Equal(["orders", "audit"], consumers.Consumers.Select(c => c.Queue));
        await consumers.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void AddConsumer_RegistersTheHandlerScoped_AndTheDefaultsOnce()
    {
        var services = new ServiceCollection();
        services.AddRabbitHa(o => o.Host = "127.0.0.1").AddConsumer<NoopHandler>("a").AddConsumer<OrderHandler>("b");

        Assert.Equal(ServiceLifetime.Scoped, services.Single(d => d.ServiceType == typeof(NoopHandler)).Lifetime);
        Assert.Single(services, d => d.ServiceType == typeof(IRabbitHaDeduplicationStore));
        Assert.Single(services, d => d.ServiceType == typeof(IRabbitHaSerializer));
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(RabbitHaHostedService));
    }

    [Fact]
    public async Task AddConsumer_RegistersThePublisherItsCopiesGoThrough_OnThePublishingConnection()
    {
        var services = new ServiceCollection();
        services.AddRabbitHa(o => o.Host = "127.0.0.1").AddConsumer<NoopHandler>("a").AddPublisher();

        Assert.Single(services, d => d.ServiceType == typeof(IRabbitHaPublisher));
        await using ServiceProvider provider = services.BuildServiceProvider();
        Assert.IsType<RabbitHaPublisher>(provider.GetRequiredService<IRabbitHaPublisher>());
    }

    [Fact]
    public void AddConsumer_KeepsAStoreRegisteredBefore()
    {
        var services = new ServiceCollection();
        var shared = new InMemoryRabbitHaDeduplicationStore(10);
        services.AddSingleton<IRabbitHaDeduplicationStore>(shared);
        services.AddRabbitHa(o => o.Host = "127.0.0.1").AddConsumer<NoopHandler>("a");

        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Same(shared, provider.GetRequiredService<IRabbitHaDeduplicationStore>());
    }

    [Fact]
    public void AddConsumer_SameQueueTwice_Throws()
    {
        IRabbitHaBuilder builder = new ServiceCollection().AddRabbitHa(o => o.Host = "127.0.0.1").AddConsumer<NoopHandler>("orders");

        var ex = Assert.Throws<InvalidOperationException>(() => builder.AddConsumer<OrderHandler>("orders"));

        Assert.Contains("queue 'orders'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddConsumer_HandlerOfTwoMessageTypes_AsksForTheMessageType()
    {
        IRabbitHaBuilder builder = new ServiceCollection().AddRabbitHa(o => o.Host = "127.0.0.1");

        var ex = Assert.Throws<ArgumentException>(() => builder.AddConsumer<TwoWayHandler>("orders"));

        Assert.Equal("THandler", ex.ParamName);
        Assert.Contains("AddConsumer<TwoWayHandler, TMessage>()", ex.Message, StringComparison.Ordinal);
        builder.AddConsumer<TwoWayHandler, Order>("orders");
    }

    [Fact]
    public void AddConsumer_ChecksItsArguments()
    {
        IRabbitHaBuilder builder = new ServiceCollection().AddRabbitHa(o => o.Host = "127.0.0.1");

        Assert.Equal("builder", Assert.Throws<ArgumentNullException>(() => ((IRabbitHaBuilder)null!).AddConsumer<NoopHandler>("q")).ParamName);
        Assert.Equal("queue", Assert.Throws<ArgumentNullException>(() => builder.AddConsumer<NoopHandler>(null!)).ParamName);
        Assert.Equal("queue", Assert.Throws<ArgumentException>(() => builder.AddConsumer<NoopHandler, ReadOnlyMemory<byte>>(" ")).ParamName);
    }

    public sealed record Order(string Id);

    private sealed class OrderHandler : IRabbitHaHandler<Order>
    {
        public Task HandleAsync(Order message, RabbitHaMessageContext context, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class TwoWayHandler : IRabbitHaHandler<Order>, IRabbitHaHandler<ReadOnlyMemory<byte>>
    {
        public Task HandleAsync(Order message, RabbitHaMessageContext context, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task HandleAsync(ReadOnlyMemory<byte> message, RabbitHaMessageContext context, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
