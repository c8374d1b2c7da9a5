using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RabbitHa.Client.Tests.TestSupport;

namespace RabbitHa.Client.Tests;

/// <summary>A real generic host: validation stops it before any broker is needed.</summary>
[Trait("Category", "Unit")]
public sealed class HostStartupTests
{
    [Fact]
    public async Task StartAsync_WhenOptionInvalid_FailsNamingOptionAndValue()
    {
        using IHost host = Host.CreateDefaultBuilder()
            .ConfigureServices(services => services.AddRabbitHa(o =>
            {
                o.Port = 70000;
                o.Password = "hunter2";
            }))
            .Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("RabbitHa:Port must be between 1 and 65535 (was 70000).", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_WhenSectionOptionInvalid_NamesOptionByItsConfigurationPath()
    {
        using IHost host = Host.CreateDefaultBuilder()
            .ConfigureAppConfiguration(c => c.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Messaging:Rabbit:Uri"] = "amqp://app:hunter2@haproxy/a/b",
                ["Messaging:Rabbit:Heartbeat"] = "-00:00:05",
            }))
            .ConfigureServices((context, services) => services.AddRabbitHa(context.Configuration.GetSection("Messaging:Rabbit")))
            .Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Messaging:Rabbit:Uri must have at most one path segment (the virtual host) (was 'amqp://***@haproxy/a/b').", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Messaging:Rabbit:Heartbeat must be zero (disabled) or between 00:00:01 and 18:12:15 (was -00:00:05).", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_WhenBrokerUnreachable_FailsAfterStartupTimeout()
    {
        int port = ClosedPort.Get();
        using IHost host = Host.CreateDefaultBuilder()
            .ConfigureServices(services => services.AddRabbitHa(o =>
            {
                o.Host = "127.0.0.1";
                o.Port = port;
                o.Startup.Timeout = TimeSpan.FromSeconds(1);
                o.Startup.InitialDelay = TimeSpan.FromMilliseconds(20);
                o.Startup.MaxDelay = TimeSpan.FromMilliseconds(100);
            }))
            .Build();

        var ex = await Assert.ThrowsAsync<RabbitHaConnectionException>(() => host.StartAsync());

        Assert.Contains($"127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
        Assert.Equal(ConnectionState.Disconnected, host.Services.GetRequiredService<IRabbitHaConnection>().State);
    }
}
