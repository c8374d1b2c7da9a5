using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Tests.TestSupport;
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

        Assert.True(settings.UseTls);
        Assert.All(settings.Endpoints, e =>
        {
            Assert.True(e.Ssl.Enabled);
            Assert.Equal(5671, e.Port);
        });
        Assert.Equal(["haproxy.example", "rabbit1"], settings.Endpoints.Select(e => e.Ssl.ServerName));
    }

    [Fact]
    public void FromOptions_WhenTlsOptions_AppliesThemToEveryEndpointEachWithItsOwnServerName()
    {
        var options = new RabbitHaOptions
        {
            Port = 5671,
            Tls =
            {
                Enabled = true,
                ServerName = "rabbit.example",
                CheckCertificateRevocation = true,
                AcceptablePolicyErrors = SslPolicyErrors.RemoteCertificateChainErrors,
            },
        };
        options.FallbackEndpoints.Add("rabbit1");
        options.FallbackEndpoints.Add("amqps://10.0.0.2:5673");

        RabbitHaConnectionSettings settings = RabbitHaConnectionSettings.FromOptions(options);

        Assert.All(settings.Endpoints, e =>
        {
            Assert.True(e.Ssl.Enabled);
            Assert.True(e.Ssl.CheckCertificateRevocation);
            Assert.Equal(SslPolicyErrors.RemoteCertificateChainErrors, e.Ssl.AcceptablePolicyErrors);
        });
        Assert.Equal(["rabbit.example", "rabbit1", "10.0.0.2"], settings.Endpoints.Select(e => e.Ssl.ServerName));
        Assert.Equal([5671, 5671, 5673], settings.Endpoints.Select(e => e.Port));
        Assert.Equal(3, settings.Endpoints.Select(e => e.Ssl).Distinct().Count());
    }

    [Fact]
    public void FromOptions_WhenFallbackServerNameSet_ChecksEveryFallbackAgainstItButNotTheProxy()
    {
        var options = new RabbitHaOptions { Uri = "amqps://haproxy.example", Tls = { FallbackServerName = "cluster.example" } };
        options.FallbackEndpoints.Add("rabbit1");
        options.FallbackEndpoints.Add("rabbit2");

        RabbitHaConnectionSettings settings = RabbitHaConnectionSettings.FromOptions(options);

        Assert.Equal(["haproxy.example", "cluster.example", "cluster.example"], settings.Endpoints.Select(e => e.Ssl.ServerName));
    }

    [Fact]
    public void FromOptions_WhenServerNamesBlank_TreatsThemAsUnset()
    {
        // As configuration binds `"ServerName": ""`.
        var options = new RabbitHaOptions { Uri = "amqps://haproxy.example", Tls = { ServerName = "", FallbackServerName = " " } };
        options.FallbackEndpoints.Add("rabbit1");

        RabbitHaConnectionSettings settings = RabbitHaConnectionSettings.FromOptions(options);

        Assert.Equal(["haproxy.example", "rabbit1"], settings.Endpoints.Select(e => e.Ssl.ServerName));
    }

    [Fact]
    public void FromOptions_WhenTls_GivesEveryEndpointAValidatorNamingWhereItsServerNameComesFrom()
    {
        using var files = new TestCertificates();
        using X509Certificate2 ca = TestCertificates.CreateAuthority("RabbitHa Test CA");
        var options = new RabbitHaOptions { Uri = "amqps://haproxy.example", Tls = { CaCertificatePath = files.WritePem(ca) } };
        options.FallbackEndpoints.Add("rabbit1");
        options.FallbackEndpoints.Add("rabbit2:5673");

        RabbitHaConnectionSettings settings = RabbitHaConnectionSettings.FromOptions(options);

        Assert.Equal(
            settings.CertificateValidators.Select(v => (RemoteCertificateValidationCallback)v.Validate),
            settings.Endpoints.Select(e => e.Ssl.CertificateValidationCallback));
        Assert.Equal(
            [
                ("haproxy.example:5671", "haproxy.example", "the host of Uri"),
                ("rabbit1:5671", "rabbit1", "the host of FallbackEndpoints:0"),
                ("rabbit2:5673", "rabbit2", "the host of FallbackEndpoints:1"),
            ],
            settings.CertificateValidators.Select(v => (v.Endpoint, v.ServerName, v.ServerNameSource)));
    }

    [Fact]
    public void FromOptions_WhenServerNamesSet_ValidatorsNameTheirOptions()
    {
        var options = new RabbitHaOptions { Uri = "amqps://haproxy", Tls = { ServerName = "cluster.example", FallbackServerName = "nodes.example" } };
        options.FallbackEndpoints.Add("rabbit1");

        RabbitHaConnectionSettings settings = RabbitHaConnectionSettings.FromOptions(options);

        Assert.Equal(
            [("cluster.example", "Tls:ServerName"), ("nodes.example", "Tls:FallbackServerName")],
            settings.CertificateValidators.Select(v => (v.ServerName, v.ServerNameSource)));
    }

    [Fact]
    public void FromOptions_WhenTlsOff_HasNoValidatorsAndReadsNoCaFile()
    {
        var options = new RabbitHaOptions { Tls = { CaCertificatePath = "/nowhere/ca.pem" } };

        RabbitHaConnectionSettings settings = RabbitHaConnectionSettings.FromOptions(options);

        Assert.Empty(settings.CertificateValidators);
        Assert.All(settings.Endpoints, e => Assert.Null(e.Ssl.CertificateValidationCallback));
    }

    [Fact]
    public void FromOptions_WhenTlsOff_NoEndpointUsesTls()
    {
        var options = new RabbitHaOptions { Host = "haproxy" };
        options.FallbackEndpoints.Add("amqp://rabbit1");

        RabbitHaConnectionSettings settings = RabbitHaConnectionSettings.FromOptions(options);

        Assert.False(settings.UseTls);
        Assert.All(settings.Endpoints, e => Assert.False(e.Ssl.Enabled));
    }

    [Theory]
    [InlineData("amqp://haproxy", "amqps://rabbit1")]
    [InlineData("amqps://haproxy", "amqp://rabbit1")]
    public void FromOptions_WhenFallbackSchemeDisagreesWithMainEndpoint_Throws(string uri, string fallback)
    {
        var options = new RabbitHaOptions { Uri = uri };
        options.FallbackEndpoints.Add(fallback);

        var ex = Assert.Throws<InvalidOperationException>(() => RabbitHaConnectionSettings.FromOptions(options));

        Assert.Contains("RabbitHa:FallbackEndpoints", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"(was '{fallback}')", ex.Message, StringComparison.Ordinal);
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
    public void FromOptions_WhenUriHasEmptyUserName_ThrowsWithRedactedValue()
    {
        var ex = Assert.Throws<InvalidOperationException>(() =>
            RabbitHaConnectionSettings.FromOptions(new RabbitHaOptions { Uri = "amqp://:hunter2@haproxy" }));

        Assert.Equal("RabbitHa:Uri must not have an empty user name (was 'amqp://***@haproxy').", ex.Message);
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
            Recovery = { FirstAttemptDelay = TimeSpan.FromMilliseconds(250) },
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
    public void CreateFactory_WithDefaults_MakesTheFirstRecoveryAttemptAtOnce()
    {
        var options = new RabbitHaOptions();

        ConnectionFactory factory = RabbitHaConnectionSettings.FromOptions(options).CreateFactory(options);

        // RabbitMQ.Client waits this long before every attempt (its own default is 5 s); RabbitHa adds its backoff after a failed one.
        Assert.Equal(TimeSpan.Zero, factory.NetworkRecoveryInterval);
        Assert.NotEqual(new ConnectionFactory().NetworkRecoveryInterval, factory.NetworkRecoveryInterval);
    }
}
