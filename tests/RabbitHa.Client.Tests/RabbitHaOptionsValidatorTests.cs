using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Tests.TestSupport;

namespace RabbitHa.Client.Tests;

[Trait("Category", "Unit")]
public sealed class RabbitHaOptionsValidatorTests
{
    [Fact]
    public void Validate_WhenDefaults_Succeeds()
    {
        ValidateOptionsResult result = new RabbitHaOptionsValidator().Validate(null, new RabbitHaOptions());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(70000)]
    public void Validate_WhenPortOutOfRange_NamesOptionAndValue(int port)
    {
        IReadOnlyList<string> failures = Failures(o => o.Port = port);

        Assert.Contains($"RabbitHa:Port must be between 1 and 65535 (was {port}).", failures);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public void Validate_WhenHostMissing_NamesOptionAndValue(string? host)
    {
        IReadOnlyList<string> failures = Failures(o => o.Host = host!);

        string shown = host is null ? "null" : $"'{host}'";
        Assert.Contains($"RabbitHa:Host is required (was {shown}).", failures);
    }

    [Fact]
    public void Validate_WhenHostNotAHostName_NamesOptionAndValue()
    {
        IReadOnlyList<string> failures = Failures(o => o.Host = "rabbit one");

        Assert.Contains("RabbitHa:Host must be a host name or an IP address (was 'rabbit one').", failures);
    }

    [Fact]
    public void Validate_WhenHeartbeatNegative_NamesOptionAndValue()
    {
        IReadOnlyList<string> failures = Failures(o => o.Heartbeat = TimeSpan.FromSeconds(-1));

        Assert.Contains("RabbitHa:Heartbeat must be zero (the broker's value) or whole seconds between 00:00:01 and 18:12:15 (was -00:00:01).", failures);
    }

    [Theory]
    [InlineData("00:00:00.5000000")] // sent as 0 s, which would ask for the broker's value instead
    [InlineData("00:00:01.5000000")] // sent as 1 s
    [InlineData("18:12:16")] // 65536 s: more than the protocol's 16 bits
    public void Validate_WhenHeartbeatNotWholeSecondsInRange_NamesOptionAndValue(string heartbeat)
    {
        IReadOnlyList<string> failures = Failures(o => o.Heartbeat = TimeSpan.Parse(heartbeat, CultureInfo.InvariantCulture));

        Assert.Equal([$"RabbitHa:Heartbeat must be zero (the broker's value) or whole seconds between 00:00:01 and 18:12:15 (was {heartbeat})."], failures);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(ushort.MaxValue)]
    public void Validate_WhenHeartbeatAtBounds_Succeeds(int seconds)
    {
        Assert.Empty(Failures(o => o.Heartbeat = TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public void Validate_WhenHeartbeatZero_Succeeds()
    {
        Assert.Empty(Failures(o => o.Heartbeat = TimeSpan.Zero));
    }

    [Fact]
    public void Validate_WhenUriHasNoScheme_NamesOptionAndRedactedValue()
    {
        IReadOnlyList<string> failures = Failures(o => o.Uri = "admin:s3cret@rabbit:5672");

        string failure = Assert.Single(failures);
        Assert.Equal("RabbitHa:Uri must use the amqp:// or amqps:// scheme (was '***@rabbit:5672').", failure);
        Assert.DoesNotContain("s3cret", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WhenUriMalformed_NamesOptionAndRedactedValue()
    {
        IReadOnlyList<string> failures = Failures(o => o.Uri = "amqp://admin:s3cret@rabbit:99999/");

        Assert.Equal(["RabbitHa:Uri must be an absolute amqp:// or amqps:// URI (was 'amqp://***@rabbit:99999/')."], failures);
    }

    [Fact]
    public void Validate_WhenUriHasWrongScheme_NamesOptionAndRedactedValue()
    {
        IReadOnlyList<string> failures = Failures(o => o.Uri = "http://admin:s3cret@rabbit/");

        Assert.Equal(["RabbitHa:Uri must use the amqp:// or amqps:// scheme (was 'http://***@rabbit/')."], failures);
    }

    [Fact]
    public void Validate_WhenUriHasTwoPathSegments_NamesOptionAndValue()
    {
        IReadOnlyList<string> failures = Failures(o => o.Uri = "amqp://rabbit/a/b");

        Assert.Equal(["RabbitHa:Uri must have at most one path segment (the virtual host) (was 'amqp://rabbit/a/b')."], failures);
    }

    [Fact]
    public void Validate_WhenUriHasPortZero_NamesOptionAndValue()
    {
        IReadOnlyList<string> failures = Failures(o => o.Uri = "amqp://rabbit:0/");

        Assert.Equal(["RabbitHa:Uri must have a port between 1 and 65535 (was 'amqp://rabbit:0/')."], failures);
    }

    [Fact]
    public void Validate_WhenUriValid_Succeeds()
    {
        Assert.Empty(Failures(o => o.Uri = "amqps://app:pa%2Fss@haproxy.example:5671/orders"));
    }

    [Fact]
    public void Validate_WhenFallbackEndpointInvalid_NamesIndexAndRedactedValue()
    {
        IReadOnlyList<string> failures = Failures(o =>
        {
            o.FallbackEndpoints.Add("rabbit1:5672");
            o.FallbackEndpoints.Add("rabbit2:notaport");
            o.FallbackEndpoints.Add("amqp://user:s3cret@rabbit3");
        });

        Assert.Equal(
        [
            "RabbitHa:FallbackEndpoints:1 must be 'host', 'host:port', 'amqp://host:port' or 'amqps://host:port' without credentials or path (was 'rabbit2:notaport').",
            "RabbitHa:FallbackEndpoints:2 must be 'host', 'host:port', 'amqp://host:port' or 'amqps://host:port' without credentials or path (was 'amqp://***@rabbit3').",
        ], failures);
    }

    [Fact]
    public void Validate_WhenFallbackSchemeIsNotAmqp_NamesIndexAndValue()
    {
        IReadOnlyList<string> failures = Failures(o => o.FallbackEndpoints.Add("http://x"));

        Assert.Equal(["RabbitHa:FallbackEndpoints:0 must be 'host', 'host:port', 'amqp://host:port' or 'amqps://host:port' without credentials or path (was 'http://x')."], failures);
    }

    [Fact]
    public void Validate_WhenFallbackAsksForTlsButMainEndpointDoesNotUseIt_NamesIndexAndValue()
    {
        IReadOnlyList<string> failures = Failures(o =>
        {
            o.Uri = "amqp://haproxy";
            o.FallbackEndpoints.Add("node1");
            o.FallbackEndpoints.Add("amqps://node2");
        });

        Assert.Equal(
            ["RabbitHa:FallbackEndpoints:1 must not use amqps:// when the main endpoint does not use TLS: every endpoint shares the main endpoint's TLS setting; leave the scheme out (was 'amqps://node2')."],
            failures);
    }

    [Fact]
    public void Validate_WhenFallbackAsksForPlainAmqpButMainEndpointUsesTls_NamesIndexAndValue()
    {
        IReadOnlyList<string> failures = Failures(o =>
        {
            o.Tls.Enabled = true;
            o.Tls.ServerName = "rabbit.example";
            o.FallbackEndpoints.Add("amqp://node1:5672");
        });

        Assert.Equal(
            ["RabbitHa:FallbackEndpoints:0 must not use amqp:// when the main endpoint uses TLS: every endpoint shares the main endpoint's TLS setting; leave the scheme out (was 'amqp://node1:5672')."],
            failures);
    }

    [Fact]
    public void Validate_WhenFallbackSchemesAgreeWithMainEndpoint_Succeeds()
    {
        Assert.Empty(Failures(o =>
        {
            o.Uri = "amqps://haproxy.example";
            o.FallbackEndpoints.Add("amqps://node1.example:5671");
            o.FallbackEndpoints.Add("node2.example");
        }));
    }

    [Fact]
    public void Validate_WhenUriHasEmptyUserName_NamesOptionAndRedactedValue()
    {
        IReadOnlyList<string> failures = Failures(o => o.Uri = "amqp://:hunter2@haproxy/");

        Assert.Equal(["RabbitHa:Uri must not have an empty user name; leave the user information out to use RabbitHa:UserName (was 'amqp://***@haproxy/')."], failures);
    }

    [Fact]
    public void Validate_WhenTlsEnabledWithoutServerName_NamesOptionAndValue()
    {
        IReadOnlyList<string> failures = Failures(o => o.Tls.Enabled = true);

        Assert.Equal(["RabbitHa:Tls:ServerName is required when RabbitHa:Tls:Enabled is true (was null)."], failures);
    }

    [Fact]
    public void Validate_WhenAmqpsUriWithoutServerName_UsesUriHostAndSucceeds()
    {
        Assert.Empty(Failures(o => o.Uri = "amqps://haproxy.example/"));
    }

    [Fact]
    public void Validate_WhenCertificateFileMissing_NamesOptionAndValue()
    {
        string path = Path.Combine(Path.GetTempPath(), $"rabbitha-missing-{Guid.NewGuid():N}.pfx");

        IReadOnlyList<string> failures = Failures(o => o.Tls.CertificatePath = path);

        Assert.Equal([$"RabbitHa:Tls:CertificatePath must name an existing file (was '{path}')."], failures);
    }

    [Fact]
    public void Validate_WhenCaCertificateFileMissing_NamesOptionAndValue()
    {
        string path = Path.Combine(Path.GetTempPath(), $"rabbitha-missing-{Guid.NewGuid():N}.pem");

        IReadOnlyList<string> failures = Failures(o => o.Tls.CaCertificatePath = path);

        Assert.Equal([$"RabbitHa:Tls:CaCertificatePath must name an existing file (was '{path}')."], failures);
    }

    [Fact]
    public void Validate_WhenCaCertificateFileHoldsNoCertificate_NamesOptionAndValue()
    {
        using var files = new TestCertificates();
        string path = files.Write(".pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");

        IReadOnlyList<string> failures = Failures(o => o.Tls.CaCertificatePath = path);

        Assert.Equal([$"RabbitHa:Tls:CaCertificatePath must name a PEM or DER file holding at least one certificate; it holds none (was '{path}')."], failures);
    }

    [Fact]
    public void Validate_WhenCaCertificateFileUnreadable_NamesOptionValueAndWhy()
    {
        using var files = new TestCertificates();
        string path = files.Write(".pem", "not a certificate");

        string failure = Assert.Single(Failures(o => o.Tls.CaCertificatePath = path));

        Assert.StartsWith("RabbitHa:Tls:CaCertificatePath must name a PEM or DER file holding at least one certificate; it could not be read (", failure, StringComparison.Ordinal);
        Assert.EndsWith($"(was '{path}').", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WhenCaCertificateFileHoldsACertificate_Succeeds()
    {
        using var files = new TestCertificates();
        using X509Certificate2 ca = TestCertificates.CreateAuthority("RabbitHa Test CA");
        string path = files.WritePem(ca);

        Assert.Empty(Failures(o =>
        {
            o.Uri = "amqps://haproxy.example";
            o.Tls.CaCertificatePath = path;
        }));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void Validate_WhenCaCertificatePathBlank_TreatsItAsUnset(string path)
    {
        Assert.Empty(Failures(o => o.Tls.CaCertificatePath = path));
    }

    [Fact]
    public void Validate_WhenVirtualHostEmpty_NamesOptionAndValue()
    {
        Assert.Equal(["RabbitHa:VirtualHost is required (was '')."], Failures(o => o.VirtualHost = ""));
    }

    [Fact]
    public void Validate_WhenUserNameEmpty_NamesOptionAndValue()
    {
        Assert.Equal(["RabbitHa:UserName is required (was '')."], Failures(o => o.UserName = ""));
    }

    [Fact]
    public void Validate_WhenUserNameEmptyButUriCarriesOne_Succeeds()
    {
        Assert.Empty(Failures(o =>
        {
            o.UserName = "";
            o.Uri = "amqp://app:secret@rabbit/";
        }));
    }

    [Fact]
    public void Validate_WhenPasswordNull_NamesOptionWithoutValue()
    {
        Assert.Equal(["RabbitHa:Password is required."], Failures(o => o.Password = null!));
    }

    [Theory]
    [InlineData(nameof(RabbitHaOptions.ConnectionTimeout), "00:00:00")]
    [InlineData(nameof(RabbitHaOptions.HandshakeTimeout), "00:00:00.0009999")] // a CancellationTokenSource of 0 ms: cancelled at once
    [InlineData(nameof(RabbitHaOptions.ContinuationTimeout), "-00:00:01")]
    [InlineData(nameof(RabbitHaOptions.ContinuationTimeout), "1.00:00:00.0010000")]
    public void Validate_WhenTimeoutOutOfRange_NamesOptionAndValue(string option, string value)
    {
        IReadOnlyList<string> failures = Failures(o =>
            typeof(RabbitHaOptions).GetProperty(option)!.SetValue(o, TimeSpan.Parse(value, CultureInfo.InvariantCulture)));

        Assert.Equal([$"RabbitHa:{option} must be between 00:00:00.0010000 and 1.00:00:00 (was {value})."], failures);
    }

    [Fact]
    public void Validate_WhenFirstAttemptDelayNegative_NamesOptionAndValue()
    {
        IReadOnlyList<string> failures = Failures(o => o.Recovery.FirstAttemptDelay = TimeSpan.FromMilliseconds(-5));

        Assert.Equal(["RabbitHa:Recovery:FirstAttemptDelay must be between 00:00:00 and 1.00:00:00 (was -00:00:00.0050000)."], failures);
    }

    [Fact]
    public void Validate_WhenFirstAttemptDelayZero_Passes()
    {
        Assert.Empty(Failures(o => o.Recovery.FirstAttemptDelay = TimeSpan.Zero));
    }

    [Fact]
    public void Validate_WhenRetryDelayZero_NamesOptionAndValue()
    {
        IReadOnlyList<string> failures = Failures(o => o.Recovery.RetryDelay = TimeSpan.Zero);

        Assert.Equal(["RabbitHa:Recovery:RetryDelay must be between 00:00:00.0010000 and 1.00:00:00 (was 00:00:00)."], failures);
    }

    [Fact]
    public void Validate_WhenMaxRetryDelayShorterThanRetryDelay_NamesBothOptions()
    {
        IReadOnlyList<string> failures = Failures(o =>
        {
            o.Recovery.RetryDelay = TimeSpan.FromSeconds(2);
            o.Recovery.MaxRetryDelay = TimeSpan.FromSeconds(1);
        });

        Assert.Equal(["RabbitHa:Recovery:MaxRetryDelay must be between RabbitHa:Recovery:RetryDelay (00:00:02) and 1.00:00:00 (was 00:00:01)."], failures);
    }

    [Fact]
    public void Validate_WhenStartupTimeoutTooShort_NamesOptionAndValue()
    {
        IReadOnlyList<string> failures = Failures(o => o.Startup.Timeout = TimeSpan.FromMilliseconds(1));

        Assert.Equal(["RabbitHa:Startup:Timeout must be between 00:00:00.0100000 and 1.00:00:00 (was 00:00:00.0010000)."], failures);
    }

    [Fact]
    public void Validate_WhenStartupTimeoutLongerThanPollyAllows_NamesOptionAndValue()
    {
        IReadOnlyList<string> failures = Failures(o => o.Startup.Timeout = TimeSpan.FromDays(2));

        Assert.Equal(["RabbitHa:Startup:Timeout must be between 00:00:00.0100000 and 1.00:00:00 (was 2.00:00:00)."], failures);
    }

    [Fact]
    public void Validate_WhenStartupMaxDelayLongerThanPollyAllows_NamesOptionAndValue()
    {
        IReadOnlyList<string> failures = Failures(o => o.Startup.MaxRetryDelay = TimeSpan.FromDays(1) + TimeSpan.FromTicks(1));

        Assert.Equal(["RabbitHa:Startup:MaxRetryDelay must be between RabbitHa:Startup:RetryDelay (00:00:00.2000000) and 1.00:00:00 (was 1.00:00:00.0000001)."], failures);
    }

    [Fact]
    public void Validate_WhenStartupMaxRetryDelayBelowRetryDelay_NamesOptionAndValue()
    {
        IReadOnlyList<string> failures = Failures(o =>
        {
            o.Startup.RetryDelay = TimeSpan.FromSeconds(2);
            o.Startup.MaxRetryDelay = TimeSpan.FromSeconds(1);
        });

        Assert.Equal(["RabbitHa:Startup:MaxRetryDelay must be between RabbitHa:Startup:RetryDelay (00:00:02) and 1.00:00:00 (was 00:00:01)."], failures);
    }

    [Fact]
    public void Validate_WhenStartupRetryDelayZero_NamesOptionAndValue()
    {
        IReadOnlyList<string> failures = Failures(o => o.Startup.RetryDelay = TimeSpan.Zero);

        Assert.Equal(["RabbitHa:Startup:RetryDelay must be between 00:00:00.0010000 and 1.00:00:00 (was 00:00:00)."], failures);
    }

    [Fact]
    public void Validate_WhenExchangeNameMissingOrReserved_NamesIndexAndValue()
    {
        IReadOnlyList<string> failures = Failures(o =>
        {
            o.Topology.Exchanges.Add(new RabbitHaExchangeDefinition { Name = "" });
            o.Topology.Exchanges.Add(new RabbitHaExchangeDefinition { Name = "amq.direct" });
        });

        Assert.Equal(
        [
            "RabbitHa:Topology:Exchanges:0:Name is required (was '').",
            "RabbitHa:Topology:Exchanges:1:Name must not start with 'amq.', which the broker reserves (was 'amq.direct').",
        ], failures);
    }

    [Fact]
    public void Validate_WhenExchangeTypeUnknown_NamesIndexAndValue()
    {
        IReadOnlyList<string> failures = Failures(o => o.Topology.Exchanges.Add(new RabbitHaExchangeDefinition { Name = "orders", Type = "Topic" }));

        Assert.Equal(["RabbitHa:Topology:Exchanges:0:Type must be direct, fanout, topic, headers or a plugin's x- type (was 'Topic')."], failures);
    }

    [Fact]
    public void Validate_WhenQuorumQueueNotDurableExclusiveAutoDelete_NamesEachOption()
    {
        IReadOnlyList<string> failures = Failures(o => o.Topology.Queues.Add(new RabbitHaQueueDefinition
        {
            Name = "orders",
            Type = RabbitHaQueueType.Quorum,
            Durable = false,
            Exclusive = true,
            AutoDelete = true,
        }));

        Assert.Equal(
        [
            "RabbitHa:Topology:Queues:0:Durable must be true for a quorum queue (was false).",
            "RabbitHa:Topology:Queues:0:Exclusive must be false for a quorum queue (was true).",
            "RabbitHa:Topology:Queues:0:AutoDelete must be false for a quorum queue (was true).",
        ], failures);
    }

    [Fact]
    public void Validate_WhenQueueNameMissing_NamesIndexAndValue()
    {
        Assert.Equal(
            ["RabbitHa:Topology:Queues:0:Name is required (was '')."],
            Failures(o => o.Topology.Queues.Add(new RabbitHaQueueDefinition())));
    }

    [Fact]
    public void Validate_WhenQueueLimitsNegative_NamesOptionsAndValues()
    {
        IReadOnlyList<string> failures = Failures(o => o.Topology.Queues.Add(new RabbitHaQueueDefinition
        {
            Name = "orders",
            MessageTtl = TimeSpan.FromMilliseconds(-1),
            MaxLength = -3,
        }));

        Assert.Equal(
        [
            "RabbitHa:Topology:Queues:0:MessageTtl must be zero or more whole milliseconds (was -00:00:00.0010000).",
            "RabbitHa:Topology:Queues:0:MaxLength must be zero or more (was -3).",
        ], failures);
    }

    [Fact]
    public void Validate_WhenBindingMissingExchangeAndQueue_NamesBoth()
    {
        Assert.Equal(
        [
            "RabbitHa:Topology:Bindings:0:Exchange is required; the default exchange cannot be bound (was '').",
            "RabbitHa:Topology:Bindings:0:Queue is required (was '').",
        ], Failures(o => o.Topology.Bindings.Add(new RabbitHaBindingDefinition())));
    }

    [Fact]
    public void Validate_WhenValidTopology_Succeeds()
    {
        Assert.Empty(Failures(o =>
        {
            o.Topology.Exchanges.Add(new RabbitHaExchangeDefinition { Name = "orders", Type = "topic" });
            o.Topology.Exchanges.Add(new RabbitHaExchangeDefinition { Name = "delayed", Type = "x-delayed-message" });
            o.Topology.Queues.Add(new RabbitHaQueueDefinition { Name = "orders.classic" });
            o.Topology.Queues.Add(new RabbitHaQueueDefinition { Name = "orders.quorum", Type = RabbitHaQueueType.Quorum });
            o.Topology.Bindings.Add(new RabbitHaBindingDefinition { Exchange = "orders", Queue = "orders.quorum", RoutingKey = "order.#" });
        }));
    }

    [Fact]
    public void Validate_WhenSectionPathGiven_PrefixesMessagesWithIt()
    {
        var validator = new RabbitHaOptionsValidator("Messaging:Rabbit");

        ValidateOptionsResult result = validator.Validate(null, new RabbitHaOptions { Port = 0 });

        Assert.Equal(["Messaging:Rabbit:Port must be between 1 and 65535 (was 0)."], result.Failures);
    }

    [Fact]
    public void Validate_WhenManyOptionsInvalid_ReportsEveryOneAndNeverThePassword()
    {
        var options = new RabbitHaOptions
        {
            Uri = "amqp://admin:hunter2@",
            Port = 0,
            Password = "hunter2",
            Heartbeat = TimeSpan.FromSeconds(-1),
        };

        ValidateOptionsResult result = new RabbitHaOptionsValidator().Validate(null, options);

        Assert.Equal(3, result.Failures!.Count());
        Assert.DoesNotContain("hunter2", result.FailureMessage, StringComparison.Ordinal);
    }

    private static List<string> Failures(Action<RabbitHaOptions> configure)
    {
        var options = new RabbitHaOptions();
        configure(options);
        ValidateOptionsResult result = new RabbitHaOptionsValidator().Validate(Options.DefaultName, options);
        return result.Failures?.ToList() ?? [];
    }
}
