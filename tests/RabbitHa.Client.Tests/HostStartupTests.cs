using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
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
        Assert.Contains("Messaging:Rabbit:Heartbeat must be zero (the broker's value) or whole seconds between 00:00:01 and 18:12:15 (was -00:00:05).", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<Dictionary<string, string?>, string> InvalidSettings => new()
    {
        {
            new() { ["RabbitHa:Uri"] = "amqp://:hunter2@haproxy/" },
            "RabbitHa:Uri must not have an empty user name; leave the user information out to use RabbitHa:UserName (was 'amqp://***@haproxy/')."
        },
        {
            new() { ["RabbitHa:Uri"] = "amqp://app:hunter2@haproxy/", ["RabbitHa:FallbackEndpoints:0"] = "amqps://node1" },
            "RabbitHa:FallbackEndpoints:0 must not use amqps:// when the main endpoint does not use TLS: every endpoint shares the main endpoint's TLS setting; leave the scheme out (was 'amqps://node1')."
        },
        {
            new() { ["RabbitHa:Uri"] = "amqps://app:hunter2@haproxy/", ["RabbitHa:FallbackEndpoints:0"] = "amqp://node1" },
            "RabbitHa:FallbackEndpoints:0 must not use amqp:// when the main endpoint uses TLS: every endpoint shares the main endpoint's TLS setting; leave the scheme out (was 'amqp://node1')."
        },
        {
            new() { ["RabbitHa:Uri"] = "amqps://app:hunter2@haproxy/", ["RabbitHa:Tls:CaCertificatePath"] = "/nowhere/rabbitha-ca.pem" },
            "RabbitHa:Tls:CaCertificatePath must name an existing file (was '/nowhere/rabbitha-ca.pem')."
        },
        {
            new() { ["RabbitHa:FallbackEndpoints:0"] = "http://x" },
            "RabbitHa:FallbackEndpoints:0 must be 'host', 'host:port', 'amqp://host:port' or 'amqps://host:port' without credentials or path (was 'http://x')."
        },
        {
            new() { ["RabbitHa:Heartbeat"] = "00:00:01.5" },
            "RabbitHa:Heartbeat must be zero (the broker's value) or whole seconds between 00:00:01 and 18:12:15 (was 00:00:01.5000000)."
        },
        {
            new() { ["RabbitHa:ConnectionTimeout"] = "00:00:00.0001" },
            "RabbitHa:ConnectionTimeout must be between 00:00:00.0010000 and 1.00:00:00 (was 00:00:00.0001000)."
        },
        {
            new() { ["RabbitHa:HandshakeTimeout"] = "2.00:00:00" },
            "RabbitHa:HandshakeTimeout must be between 00:00:00.0010000 and 1.00:00:00 (was 2.00:00:00)."
        },
        {
            new() { ["RabbitHa:ContinuationTimeout"] = "00:00:00" },
            "RabbitHa:ContinuationTimeout must be between 00:00:00.0010000 and 1.00:00:00 (was 00:00:00)."
        },
        {
            new() { ["RabbitHa:Recovery:MaxRetryDelay"] = "1.00:00:01" },
            "RabbitHa:Recovery:MaxRetryDelay must be between RabbitHa:Recovery:RetryDelay (00:00:00.2500000) and 1.00:00:00 (was 1.00:00:01)."
        },
        {
            new() { ["RabbitHa:Startup:Timeout"] = "00:00:00.005" },
            "RabbitHa:Startup:Timeout must be between 00:00:00.0100000 and 1.00:00:00 (was 00:00:00.0050000)."
        },
        {
            new() { ["RabbitHa:Startup:Timeout"] = "1.00:00:00.001" },
            "RabbitHa:Startup:Timeout must be between 00:00:00.0100000 and 1.00:00:00 (was 1.00:00:00.0010000)."
        },
        {
            new() { ["RabbitHa:Startup:RetryDelay"] = "00:00:00" },
            "RabbitHa:Startup:RetryDelay must be between 00:00:00.0010000 and 1.00:00:00 (was 00:00:00)."
        },
        {
            new() { ["RabbitHa:Startup:MaxRetryDelay"] = "2.00:00:00" },
            "RabbitHa:Startup:MaxRetryDelay must be between RabbitHa:Startup:RetryDelay (00:00:00.2000000) and 1.00:00:00 (was 2.00:00:00)."
        },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public async Task StartAsync_WhenOptionOutOfWhatItsConsumerAccepts_FailsNamingOptionAndValue(Dictionary<string, string?> settings, string expected)
    {
        using IHost host = Host.CreateDefaultBuilder()
            .ConfigureAppConfiguration(c => c.AddInMemoryCollection(settings))
            .ConfigureServices((context, services) => services.AddRabbitHa(context.Configuration.GetSection(RabbitHaOptions.SectionName)))
            .Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal([expected], ex.Failures);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_WhenBrokerUnreachable_LogsTheFailureOnceWithoutRabbitHaRepeatingIt()
    {
        using var logs = new CapturingLoggerProvider();
        int port = ClosedPort.Get();
        using IHost host = Host.CreateDefaultBuilder()
            .ConfigureLogging(l => l.ClearProviders().SetMinimumLevel(LogLevel.Trace).AddProvider(logs))
            .ConfigureServices(services => services.AddRabbitHa(o =>
            {
                o.Host = "127.0.0.1";
                o.Port = port;
                o.Startup.Timeout = TimeSpan.FromMilliseconds(500);
                o.Startup.RetryDelay = TimeSpan.FromMilliseconds(20);
                o.Startup.MaxRetryDelay = TimeSpan.FromMilliseconds(50);
            }))
            .Build();

        var ex = await Assert.ThrowsAsync<RabbitHaConnectionException>(() => host.StartAsync());

        // The host writes down what it could not start, with the exception; RabbitHa throws it and says nothing more.
        string[] errors = logs.Lines.Where(l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal)).ToArray();
        string error = Assert.Single(errors);
        Assert.DoesNotContain("RabbitHa.Client", error.Split(' ')[1], StringComparison.Ordinal);
        Assert.Single(logs.Lines, l => l.Contains(ex.Message, StringComparison.Ordinal));

        // The attempts before it are warnings of one line each, without a stack trace.
        string[] attempts = logs.Lines.Where(l => l.Contains("[ConnectAttemptFailed]", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(attempts);
        Assert.All(attempts, a => Assert.DoesNotContain("   at ", a, StringComparison.Ordinal));
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
                o.Startup.RetryDelay = TimeSpan.FromMilliseconds(20);
                o.Startup.MaxRetryDelay = TimeSpan.FromMilliseconds(100);
            }))
            .Build();

        var ex = await Assert.ThrowsAsync<RabbitHaConnectionException>(() => host.StartAsync());

        Assert.Contains($"127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
        Assert.Equal(RabbitHaConnectionState.Disconnected, host.Services.GetRequiredService<IRabbitHaConnection>().State);
    }
}
