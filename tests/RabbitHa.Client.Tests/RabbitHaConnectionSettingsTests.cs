using RabbitMQ.Client;

namespace RabbitHa.Client.Tests;

[Trait("Category", "Unit")]
public sealed class RabbitHaConnectionSettingsTests
{
    [Fact]
    public void FromOptions_WhenHostAndFallbacks_ProxyFirstThenFallbacksInOrder()
    {
        var options = new RabbitHaOptions { Host = "haproxy", Port = 5670 };
        options.FallbackEndpoints.Add("rabbit3:5673");
        options.FallbackEndpoints.Add("rabbit1");
        options.FallbackEndpoints.Add("amqp://rabbit2:5674");

        RabbitHaConnectionSettings settings = RabbitHaConnectionSettings.FromOptions(options);

        Assert.Equal(
            [("haproxy", 5670), ("rabbit3", 5673), ("rabbit1", 5672), ("rabbit2", 5674)],
            settings.Endpoints.Select(e => (e.HostName, e.Port)));
    }

    [Fact]
    public void FromOptions_WhenUri_TakesHostPortVirtualHostAndCredentialsFromIt()
    {
        var options = new RabbitHaOptions { Host = "ignored", Port = 1, VirtualHost = "ignored", Uri = "amqp://app:p%40ss+word@haproxy:5670/orders%2Fv1" };

        RabbitHaConnectionSettings settings = RabbitHaConnectionSettings.FromOptions(options);

        AmqpTcpEndpoint endpoint = Assert.Single(settings.Endpoints);
        Assert.Equal(("haproxy", 5670, false), (endpoint.HostName, endpoint.Port, endpoint.Ssl.Enabled));
        Assert.Equal("orders/v1", settings.VirtualHost);
        Assert.Equal("app", settings.UserName);
        Assert.Equal("p@ss+word", settings.Password);
    }

    [Fact]
    public void FromOptions_WhenUriHasNoUserInfoOrPath_KeepsOptionsCredentialsAndVirtualHost()
    {
        var options = new RabbitHaOptions { UserName = "app", Password = "secret", VirtualHost = "orders", Uri = "amqp://haproxy" };

        RabbitHaConnectionSettings settings = RabbitHaConnectionSettings.FromOptions(options);

        Assert.Equal(("app", "secret", "orders"), (settings.UserName, settings.Password, settings.VirtualHost));
        Assert.Equal(5672, Assert.Single(settings.Endpoints).Port);
    }

    [Fact]
    public void FromOptions_WhenAmqpsUri_EnablesTlsWithUriHostAsServerNameAndPort5671()
    {
        var options = new RabbitHaOptions { Uri = "amqps://haproxy.example" };
        options.FallbackEndpoints.Add("rabbit1");

        RabbitHaConnectionSettings settings = RabbitHaConnectionSettings.FromOptions(options);

        Assert.All(settings.Endpoints, e =>
        {
            Assert.True(e.Ssl.Enabled);
            Assert.Equal("haproxy.example", e.Ssl.ServerName);
            Assert.Equal(5671, e.Port);
        });
    }

    [Fact]
    public void FromOptions_WhenTlsOptions_AppliesThemToEveryEndpoint()
    {
        var options = new RabbitHaOptions
        {
            Port = 5671,
            Tls = { Enabled = true, ServerName = "rabbit.example", CheckCertificateRevocation = true },
        };
        options.FallbackEndpoints.Add("rabbit1");

        RabbitHaConnectionSettings settings = RabbitHaConnectionSettings.FromOptions(options);

        Assert.All(settings.Endpoints, e =>
        {
            Assert.True(e.Ssl.Enabled);
            Assert.Equal("rabbit.example", e.Ssl.ServerName);
            Assert.True(e.Ssl.CheckCertificateRevocation);
        });
        Assert.Equal([5671, 5671], settings.Endpoints.Select(e => e.Port));
    }

    [Fact]
    public void FromOptions_WhenClientProvidedNameUnset_UsesApplicationName()
    {
        RabbitHaConnectionSettings settings = RabbitHaConnectionSettings.FromOptions(new RabbitHaOptions());

        Assert.Equal(AppDomain.CurrentDomain.FriendlyName, settings.ClientProvidedName);
    }

    [Fact]
    public void FromOptions_WhenUriInvalid_ThrowsWithRedactedValue()
    {
        var ex = Assert.Throws<InvalidOperationException>(() =>
            RabbitHaConnectionSettings.FromOptions(new RabbitHaOptions { Uri = "http://app:hunter2@haproxy" }));

        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("RabbitHa:Uri", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromOptions_WhenNull_ThrowsArgumentNullExceptionNamingOptions()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => RabbitHaConnectionSettings.FromOptions(null!));

        Assert.Equal("options", ex.ParamName);
    }

    [Fact]
    public void CreateFactory_TurnsRecoveryOnExcludesConsumersAndAppliesTimings()
    {
        var options = new RabbitHaOptions
        {
            Heartbeat = TimeSpan.FromSeconds(15),
            ConnectionTimeout = TimeSpan.FromSeconds(2),
            HandshakeTimeout = TimeSpan.FromSeconds(3),
            ContinuationTimeout = TimeSpan.FromSeconds(4),
            VirtualHost = "orders",
            UserName = "app",
            Password = "secret",
            ClientProvidedName = "orders-api",
            Recovery = { NetworkRecoveryInterval = TimeSpan.FromMilliseconds(250) },
        };
        RabbitHaConnectionSettings settings = RabbitHaConnectionSettings.FromOptions(options);

        ConnectionFactory factory = settings.CreateFactory(options);

        Assert.True(factory.AutomaticRecoveryEnabled);
        Assert.True(factory.TopologyRecoveryEnabled);
        Assert.False(factory.TopologyRecoveryFilter.ConsumerFilter(null!));
        Assert.Equal(TimeSpan.FromMilliseconds(250), factory.NetworkRecoveryInterval);
        Assert.Equal(TimeSpan.FromSeconds(15), factory.RequestedHeartbeat);
        Assert.Equal(TimeSpan.FromSeconds(2), factory.RequestedConnectionTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), factory.HandshakeContinuationTimeout);
        Assert.Equal(TimeSpan.FromSeconds(4), factory.ContinuationTimeout);
        Assert.Equal(("orders", "app", "secret", "orders-api"), (factory.VirtualHost, factory.UserName, factory.Password, factory.ClientProvidedName));
    }

    [Fact]
    public void CreateFactory_WithDefaults_RecoversMuchFasterThanRabbitMqClientDefault()
    {
        var options = new RabbitHaOptions();

        ConnectionFactory factory = RabbitHaConnectionSettings.FromOptions(options).CreateFactory(options);

        Assert.True(factory.NetworkRecoveryInterval < new ConnectionFactory().NetworkRecoveryInterval);
        Assert.True(factory.NetworkRecoveryInterval < TimeSpan.FromSeconds(1));
    }
}
