using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Internal.DependencyInjection;
using RabbitHa.Client.Tests.TestSupport;

namespace RabbitHa.Client.Tests;

[Trait("Category", "Unit")]
public sealed class RabbitHaServiceCollectionExtensionsTests
{
    [Fact]
    public void AddRabbitHa_ReturnsBuilderOverTheSameServices()
    {
        var services = new ServiceCollection();

        IRabbitHaBuilder builder = services.AddRabbitHa(o => o.Host = "haproxy");

        Assert.Same(services, builder.Services);
    }

    [Fact]
    public async Task AddRabbitHa_RegistersConnectionSingletonHostedServiceAndValidator()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRabbitHa(o => o.Host = "haproxy");

        await using ServiceProvider provider = services.BuildServiceProvider();

        IRabbitHaConnection connection = provider.GetRequiredService<IRabbitHaConnection>();
        Assert.Same(connection, provider.GetRequiredService<IRabbitHaConnection>());
        Assert.Same(connection, provider.GetRequiredService<RabbitHaConnection>());
        IRabbitHaConnection publishing = provider.GetRequiredKeyedService<IRabbitHaConnection>(RabbitHaServiceKeys.PublisherConnection);
        Assert.NotSame(connection, publishing);
        Assert.Equal(connection.ClientProvidedName + ".publisher", publishing.ClientProvidedName);
        Assert.Single(provider.GetServices<IHostedService>().OfType<RabbitHaHostedService>());
        Assert.IsType<RabbitHaOptionsValidator>(Assert.Single(provider.GetServices<IValidateOptions<RabbitHaOptions>>()));
        Assert.Equal("haproxy", provider.GetRequiredService<IOptions<RabbitHaOptions>>().Value.Host);
    }

    [Fact]
    public async Task AddRabbitHa_CalledTwice_RegistersServicesOnceAndAppliesBothConfigurations()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRabbitHa(o => o.Host = "haproxy");
        int countAfterFirstCall = services.Count;
        services.AddRabbitHa(o => o.Port = 5670);

        await using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Equal(countAfterFirstCall + 1, services.Count); // only the second configure action
        Assert.Single(provider.GetServices<IHostedService>().OfType<RabbitHaHostedService>());
        Assert.Single(provider.GetServices<IValidateOptions<RabbitHaOptions>>());
        HealthCheckServiceOptions health = provider.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value;
        Assert.Single(health.Registrations, r => r.Name == RabbitHaDiagnostics.HealthCheckName);
        RabbitHaOptions options = provider.GetRequiredService<IOptions<RabbitHaOptions>>().Value;
        Assert.Equal(("haproxy", 5670), (options.Host, options.Port));
    }

    [Fact]
    public async Task AddRabbitHa_SameSectionTwice_BindsListsOnce()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["RabbitHa:FallbackEndpoints:0"] = "rabbit1",
            ["RabbitHa:Topology:Queues:0:Name"] = "orders",
        }).Build();
        var services = new ServiceCollection();
        services.AddRabbitHa(configuration.GetSection("RabbitHa"));
        services.AddRabbitHa(configuration.GetSection("RabbitHa"));

        await using ServiceProvider provider = services.BuildServiceProvider();

        RabbitHaOptions options = provider.GetRequiredService<IOptions<RabbitHaOptions>>().Value;
        Assert.Single(options.FallbackEndpoints);
        Assert.Single(options.Topology.Queues);
    }

    [Fact]
    public async Task AddRabbitHa_RegistersHealthCheckThatReportsTheConnectionState()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRabbitHa(o => o.ClientProvidedName = "orders-api");

        await using ServiceProvider provider = services.BuildServiceProvider();
        HealthReport report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        HealthReportEntry entry = report.Entries[RabbitHaDiagnostics.HealthCheckName];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Equal("RabbitMQ connection 'orders-api' is Disconnected.", entry.Description);
        Assert.Contains("rabbitmq", entry.Tags);
    }

    [Fact]
    public async Task AddRabbitHa_WithoutAHost_TheConnectionConnectsOnFirstUse()
    {
        int port = ClosedPort.Get();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRabbitHa(o =>
        {
            o.Host = "127.0.0.1";
            o.Port = port;
            o.Startup.Timeout = TimeSpan.FromMilliseconds(300);
        });

        await using ServiceProvider provider = services.BuildServiceProvider();
        var connection = provider.GetRequiredService<RabbitHaConnection>();
        Assert.False(connection.WasStarted);
        Assert.Equal(RabbitHaConnectionState.Disconnected, connection.State);

        // Nothing but the caller starts it: the start-up retry runs, against a port nobody listens on, and its failure is thrown.
        var ex = await Assert.ThrowsAsync<RabbitHaConnectionException>(() => connection.ConnectAsync());

        Assert.True(connection.WasStarted);
        Assert.Contains($"127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddTopology_AddsToTheOptionsTopology()
    {
        var services = new ServiceCollection();
        services.AddRabbitHa(_ => { })
            .AddTopology(t => t.Queues.Add(new RabbitHaQueueDefinition { Name = "orders", Type = RabbitHaQueueType.Quorum }));

        await using ServiceProvider provider = services.BuildServiceProvider();

        RabbitHaQueueDefinition queue = Assert.Single(provider.GetRequiredService<IOptions<RabbitHaOptions>>().Value.Topology.Queues);
        Assert.Equal(("orders", RabbitHaQueueType.Quorum), (queue.Name, queue.Type));
    }

    [Fact]
    public void AddRabbitHa_WhenServicesNull_ThrowsArgumentNullExceptionNamingServices()
    {
        Assert.Equal("services", Assert.Throws<ArgumentNullException>(() => ((IServiceCollection)null!).AddRabbitHa(_ => { })).ParamName);
        Assert.Equal("services", Assert.Throws<ArgumentNullException>(
            () => ((IServiceCollection)null!).AddRabbitHa(new ConfigurationBuilder().Build())).ParamName);
    }

    [Fact]
    public void AddRabbitHa_WhenConfigureNull_ThrowsArgumentNullExceptionNamingConfigure()
    {
        Assert.Equal("configure", Assert.Throws<ArgumentNullException>(
            () => new ServiceCollection().AddRabbitHa((Action<RabbitHaOptions>)null!)).ParamName);
    }

    [Fact]
    public void AddRabbitHa_WhenConfigurationNull_ThrowsArgumentNullExceptionNamingConfiguration()
    {
        Assert.Equal("configuration", Assert.Throws<ArgumentNullException>(
            () => new ServiceCollection().AddRabbitHa((IConfiguration)null!)).ParamName);
    }

    [Fact]
    public void AddTopology_WhenArgumentsNull_ThrowsArgumentNullExceptionNamingThem()
    {
        IRabbitHaBuilder builder = new ServiceCollection().AddRabbitHa(_ => { });

        Assert.Equal("builder", Assert.Throws<ArgumentNullException>(() => ((IRabbitHaBuilder)null!).AddTopology(_ => { })).ParamName);
        Assert.Equal("configure", Assert.Throws<ArgumentNullException>(() => builder.AddTopology(null!)).ParamName);
    }
}
