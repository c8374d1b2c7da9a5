using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RabbitHa.Client.Tests.TestSupport;

namespace RabbitHa.Client.Tests;

[Trait("Category", "Unit")]
public sealed class RabbitHaOptionsTests
{
    [Fact]
    public void Defaults_MatchTheDocumentedValues()
    {
        var options = new RabbitHaOptions();

        Assert.Equal("RabbitHa", RabbitHaOptions.SectionName);
        Assert.Null(options.Uri);
        Assert.Equal("localhost", options.Host);
        Assert.Equal(5672, options.Port);
        Assert.Empty(options.FallbackEndpoints);
        Assert.Equal("/", options.VirtualHost);
        Assert.Equal("guest", options.UserName);
        Assert.Equal("guest", options.Password);
        Assert.Null(options.ClientProvidedName);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Heartbeat);
        Assert.Equal(TimeSpan.FromSeconds(10), options.ConnectionTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), options.HandshakeTimeout);
        Assert.Equal(TimeSpan.FromSeconds(20), options.ContinuationTimeout);
        Assert.False(options.Tls.Enabled);
        Assert.Null(options.Tls.ServerName);
        Assert.Equal(SslProtocols.None, options.Tls.Protocols);
        Assert.Equal(SslPolicyErrors.None, options.Tls.AcceptablePolicyErrors);
        Assert.Null(options.Tls.CaCertificatePath);
        Assert.Equal(TimeSpan.Zero, options.Recovery.FirstAttemptDelay);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.Recovery.RetryDelay);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Recovery.MaxRetryDelay);
        Assert.Equal(TimeSpan.FromSeconds(60), options.Startup.Timeout);
        Assert.Equal(TimeSpan.FromMilliseconds(200), options.Startup.RetryDelay);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Startup.MaxRetryDelay);
        Assert.True(options.Topology.IsEmpty);
    }

    [Fact]
    public void Defaults_DefinitionsAreDurableDirectAndClassic()
    {
        Assert.Equal("direct", new RabbitHaExchangeDefinition().Type);
        Assert.True(new RabbitHaExchangeDefinition().Durable);
        Assert.Equal(RabbitHaQueueType.Classic, new RabbitHaQueueDefinition().Type);
        Assert.True(new RabbitHaQueueDefinition().Durable);
        Assert.False(new RabbitHaQueueDefinition().Exclusive);
        Assert.False(new RabbitHaQueueDefinition().AutoDelete);
        Assert.Equal(string.Empty, new RabbitHaBindingDefinition().RoutingKey);
    }

    [Fact]
    public void Heartbeat_Default_IsFarBelowHaproxyTimeouts()
    {
        // docker/haproxy/haproxy.cfg: timeout client/server 3h. Heartbeats are traffic, so an idle
        // connection is never cut, and two missed ones (a dead node) are noticed in about a minute.
        Assert.True(new RabbitHaOptions().Heartbeat * 2 < TimeSpan.FromHours(3));
    }

    [Fact]
    public void Bind_FromConfiguration_ReadsEveryOption()
    {
        using var files = new TestCertificates();
        using X509Certificate2 ca = TestCertificates.CreateAuthority("RabbitHa Test CA");
        string caFile = files.WritePem(ca);
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["RabbitHa:Uri"] = "amqp://app:secret@haproxy:5670/orders",
            ["RabbitHa:Host"] = "haproxy",
            ["RabbitHa:Port"] = "5670",
            ["RabbitHa:FallbackEndpoints:0"] = "rabbit1:5672",
            ["RabbitHa:FallbackEndpoints:1"] = "rabbit2",
            ["RabbitHa:VirtualHost"] = "orders",
            ["RabbitHa:UserName"] = "app",
            ["RabbitHa:Password"] = "secret",
            ["RabbitHa:ClientProvidedName"] = "orders-api",
            ["RabbitHa:Heartbeat"] = "00:00:15",
            ["RabbitHa:ConnectionTimeout"] = "00:00:03",
            ["RabbitHa:Tls:Enabled"] = "true",
            ["RabbitHa:Tls:ServerName"] = "rabbit.example",
            ["RabbitHa:Tls:Protocols"] = "Tls12",
            ["RabbitHa:Tls:CaCertificatePath"] = caFile,
            ["RabbitHa:Recovery:FirstAttemptDelay"] = "00:00:00.010",
            ["RabbitHa:Recovery:RetryDelay"] = "00:00:00.100",
            ["RabbitHa:Recovery:MaxRetryDelay"] = "00:00:02",
            ["RabbitHa:Startup:Timeout"] = "00:00:05",
            ["RabbitHa:Startup:RetryDelay"] = "00:00:00.100",
            ["RabbitHa:Startup:MaxRetryDelay"] = "00:00:01",
            ["RabbitHa:Topology:Exchanges:0:Name"] = "orders",
            ["RabbitHa:Topology:Exchanges:0:Type"] = "topic",
            ["RabbitHa:Topology:Queues:0:Name"] = "orders.created",
            ["RabbitHa:Topology:Queues:0:Type"] = "Quorum",
            ["RabbitHa:Topology:Queues:0:MessageTtl"] = "00:01:00",
            ["RabbitHa:Topology:Queues:0:Arguments:x-overflow"] = "reject-publish",
            ["RabbitHa:Topology:Bindings:0:Exchange"] = "orders",
            ["RabbitHa:Topology:Bindings:0:Queue"] = "orders.created",
            ["RabbitHa:Topology:Bindings:0:RoutingKey"] = "order.created",
        }).Build();

        var services = new ServiceCollection();
        services.AddRabbitHa(configuration.GetSection(RabbitHaOptions.SectionName));
        using ServiceProvider provider = services.BuildServiceProvider();
        RabbitHaOptions options = provider.GetRequiredService<IOptions<RabbitHaOptions>>().Value;

        Assert.Equal("amqp://app:secret@haproxy:5670/orders", options.Uri);
        Assert.Equal("haproxy", options.Host);
        Assert.Equal(5670, options.Port);
        Assert.Equal(["rabbit1:5672", "rabbit2"], options.FallbackEndpoints);
        Assert.Equal("orders", options.VirtualHost);
        Assert.Equal("app", options.UserName);
        Assert.Equal("secret", options.Password);
        Assert.Equal("orders-api", options.ClientProvidedName);
        Assert.Equal(TimeSpan.FromSeconds(15), options.Heartbeat);
        Assert.Equal(TimeSpan.FromSeconds(3), options.ConnectionTimeout);
        Assert.True(options.Tls.Enabled);
        Assert.Equal("rabbit.example", options.Tls.ServerName);
        Assert.Equal(SslProtocols.Tls12, options.Tls.Protocols);
        Assert.Equal(caFile, options.Tls.CaCertificatePath);
        Assert.Equal(TimeSpan.FromMilliseconds(10), options.Recovery.FirstAttemptDelay);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.Recovery.RetryDelay);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Recovery.MaxRetryDelay);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Startup.Timeout);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.Startup.RetryDelay);
        Assert.Equal(TimeSpan.FromSeconds(1), options.Startup.MaxRetryDelay);
        RabbitHaExchangeDefinition exchange = Assert.Single(options.Topology.Exchanges);
        Assert.Equal(("orders", "topic"), (exchange.Name, exchange.Type));
        RabbitHaQueueDefinition queue = Assert.Single(options.Topology.Queues);
        Assert.Equal(("orders.created", RabbitHaQueueType.Quorum, TimeSpan.FromMinutes(1)), (queue.Name, queue.Type, queue.MessageTtl));
        Assert.Equal("reject-publish", queue.Arguments["x-overflow"]);
        RabbitHaBindingDefinition binding = Assert.Single(options.Topology.Bindings);
        Assert.Equal(("orders", "orders.created", "order.created"), (binding.Exchange, binding.Queue, binding.RoutingKey));
    }

    [Fact]
    public void ToString_RedactsPasswordPassphraseAndUriCredentials()
    {
        var options = new RabbitHaOptions
        {
            Uri = "amqps://app:uri-secret@haproxy:5671/orders",
            Password = "option-secret",
            Tls = { CertificatePassphrase = "passphrase-secret" },
        };
        options.FallbackEndpoints.Add("amqp://node:fallback-secret@rabbit1");

        string text = options.ToString();

        Assert.DoesNotContain("secret", text, StringComparison.Ordinal);
        Assert.Contains("Uri = amqps://***@haproxy:5671/orders", text, StringComparison.Ordinal);
        Assert.Contains("Password = ***", text, StringComparison.Ordinal);
        Assert.Contains("UserName = guest", text, StringComparison.Ordinal);
        Assert.Contains("CertificatePassphrase = ***", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_DescribesEndpointAndTimings()
    {
        string text = new RabbitHaOptions { Host = "haproxy", Port = 5670 }.ToString();

        Assert.Contains("Host = haproxy, Port = 5670", text, StringComparison.Ordinal);
        Assert.Contains("Heartbeat = 00:00:30", text, StringComparison.Ordinal);
        Assert.Contains("FirstAttemptDelay = 00:00:00, RetryDelay = 00:00:00.2500000, MaxRetryDelay = 00:00:05", text, StringComparison.Ordinal);
    }
}
