using System.Diagnostics;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Tests.TestSupport;
using Xunit.Abstractions;

namespace RabbitHa.Client.Tests;

/// <summary>
/// A real TLS handshake through RabbitMQ.Client against a loopback server presenting a generated certificate: the certificate
/// is checked before any AMQP byte, so no broker is needed to see it accepted or refused.
/// </summary>
[Trait("Category", "Unit")]
public sealed class RabbitHaConnectionTlsTests : IDisposable
{
    private const string Password = "never-show-this-password";
    private const string Passphrase = "never-show-this-passphrase";

    private static readonly X509Certificate2 s_clusterCa = TestCertificates.CreateAuthority("RabbitHa Test CA");
    private static readonly X509Certificate2 s_otherCa = TestCertificates.CreateAuthority("Other CA");
    private static readonly X509Certificate2 s_node = TestCertificates.CreateServer(
        s_clusterCa, "rmq1", ["rmq1", "localhost"], [IPAddress.Loopback]);

    private readonly TestCertificates _files = new();
    private readonly ITestOutputHelper _output;

    public RabbitHaConnectionTlsTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task ConnectAsync_WhenCertificateChainsToTheConfiguredCa_CompletesTheHandshake()
    {
        using var node = new TlsServer(s_node);
        using var logs = new CapturingLoggerProvider();
        await using RabbitHaConnection connection = CreateConnection(node.Port, "rmq1", _files.WritePem(s_clusterCa), logs);

        // The handshake succeeds; the server then closes without speaking AMQP, which is retried until the start-up timeout.
        var ex = await Assert.ThrowsAsync<RabbitHaConnectionException>(() => connection.ConnectAsync());

        _output.WriteLine(ex.Message);
        Assert.Contains("within 00:00:01", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("certificate", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("[CertificateRefused]", logs.AllText, StringComparison.Ordinal);
        Assert.True(node.Handshakes >= 1, $"{node.Handshakes} handshake(s) completed");
    }

    [Fact]
    public async Task ConnectAsync_WhenCertificateChainsToAnotherCa_FailsAtOnceNamingEndpointServerNameAndBothCas()
    {
        using X509Certificate2 foreign = TestCertificates.CreateServer(s_otherCa, "rmq1", ["rmq1", "localhost"], [IPAddress.Loopback]);
        using var node = new TlsServer(foreign, [s_otherCa]);
        using var logs = new CapturingLoggerProvider();
        string caFile = _files.WritePem(s_clusterCa);
        await using RabbitHaConnection connection = CreateConnection(node.Port, "rmq1", caFile, logs, TimeSpan.FromSeconds(30));
        var stopwatch = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<RabbitHaConnectionException>(() => connection.ConnectAsync());

        // Not retried until the 30 s start-up timeout: a certificate refusal is permanent.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(15), $"took {stopwatch.Elapsed}");

        _output.WriteLine(ex.Message);
        string problem = $"the certificate's chain ends at 'CN=Other CA', which is not among the 1 certificate(s) of Tls:CaCertificatePath " +
            $"('CN=RabbitHa Test CA' in '{caFile}')";
        Assert.Contains($"TLS refused the server certificate of 127.0.0.1:{node.Port} (server name 'rmq1', from Tls:ServerName): {problem}", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{node.Port} (server name '127.0.0.1', from the host of FallbackEndpoints:0): {problem}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Certificate failures are not retried", ex.Message, StringComparison.Ordinal);
        Assert.Contains(Flatten(ex), e => e is AuthenticationException);
        AssertNoSecret(ex, logs);

        // Logged once per endpoint, as a warning.
        string[] warnings = [.. logs.Lines.Where(l => l.Contains("[CertificateRefused]", StringComparison.Ordinal))];
        Assert.Equal(2, warnings.Length);
        Assert.All(warnings, w => Assert.StartsWith("Warning ", w, StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains($"127.0.0.1:{node.Port}, checked against server name 'rmq1' (from Tls:ServerName): {problem}.", StringComparison.Ordinal));
        _output.WriteLine(warnings[0]);
    }

    [Fact]
    public async Task ConnectAsync_WhenServerNameIsNotOnTheCertificate_FailsAtOnceNamingTheCertificatesNames()
    {
        using var node = new TlsServer(s_node);
        using var logs = new CapturingLoggerProvider();
        await using RabbitHaConnection connection = CreateConnection(
            node.Port, "wrong.example", _files.WritePem(s_clusterCa), logs, TimeSpan.FromSeconds(30), o => o.Tls.FallbackServerName = "nodes.example");
        var stopwatch = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<RabbitHaConnectionException>(() => connection.ConnectAsync());

        _output.WriteLine(ex.Message);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(15), $"took {stopwatch.Elapsed}");
        Assert.Contains(
            $"TLS refused the server certificate of 127.0.0.1:{node.Port} (server name 'wrong.example', from Tls:ServerName): " +
            "the certificate is issued for rmq1, localhost, 127.0.0.1 (subject alternative names), not for 'wrong.example'; " +
            $"and of 127.0.0.1:{node.Port} (server name 'nodes.example', from Tls:FallbackServerName): " +
            "the certificate is issued for rmq1, localhost, 127.0.0.1 (subject alternative names), not for 'nodes.example'.",
            ex.Message, StringComparison.Ordinal);
        AssertNoSecret(ex, logs);
        Assert.Equal(2, logs.Lines.Count(l => l.Contains("[CertificateRefused]", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ConnectAsync_WhenOnlyTheProxysNameIsWrong_RetriesThroughTheFallbackAndTheTimeoutNamesTheRefusal()
    {
        using var node = new TlsServer(s_node);
        using var logs = new CapturingLoggerProvider();

        // The fallback, checked against its own host name (127.0.0.1), is accepted; it then closes without speaking AMQP,
        // which is transient: the start-up is retried, and the proxy's refusal is logged once, not per attempt.
        // Long enough for two attempts (each two TLS handshakes) on a machine busy with other tests.
        await using RabbitHaConnection connection = CreateConnection(node.Port, "wrong.example", _files.WritePem(s_clusterCa), logs, TimeSpan.FromSeconds(5));

        var ex = await Assert.ThrowsAsync<RabbitHaConnectionException>(() => connection.ConnectAsync());

        _output.WriteLine(ex.Message);
        Assert.Contains("within 00:00:05", ex.Message, StringComparison.Ordinal);
        Assert.Contains(
            $"In that attempt, TLS refused the server certificate of 127.0.0.1:{node.Port} (server name 'wrong.example', from Tls:ServerName): " +
            "the certificate is issued for rmq1, localhost, 127.0.0.1 (subject alternative names), not for 'wrong.example'.",
            ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("from the host of FallbackEndpoints:0", ex.Message, StringComparison.Ordinal);
        AssertNoSecret(ex, logs);
        Assert.True(logs.Lines.Count(l => l.Contains("[ConnectAttemptFailed]", StringComparison.Ordinal)) >= 2);
        Assert.Single(logs.Lines, l => l.Contains("[CertificateRefused]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConnectAsync_WithoutCaFile_WhenRootUntrusted_PointsToCaCertificatePath()
    {
        using var node = new TlsServer(s_node, [s_clusterCa]);
        await using RabbitHaConnection connection = CreateConnection(node.Port, "rmq1", caFile: null, logs: null, TimeSpan.FromSeconds(30));

        var ex = await Assert.ThrowsAsync<RabbitHaConnectionException>(() => connection.ConnectAsync());

        _output.WriteLine(ex.Message);
        Assert.Contains(
            $"127.0.0.1:{node.Port} (server name 'rmq1', from Tls:ServerName): untrusted root 'CN=RabbitHa Test CA' " +
            "(not in the operating system's trust store; set Tls:CaCertificatePath to the cluster's CA)",
            ex.Message, StringComparison.Ordinal);
    }

    private static void AssertNoSecret(Exception ex, CapturingLoggerProvider logs)
    {
        Assert.DoesNotContain(Password, ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Passphrase, ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Password, logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(Passphrase, logs.AllText, StringComparison.Ordinal);
    }

    private static IEnumerable<Exception> Flatten(Exception exception) => exception switch
    {
        AggregateException aggregate => [exception, .. aggregate.InnerExceptions.SelectMany(Flatten)],
        { InnerException: { } inner } => [exception, .. Flatten(inner)],
        _ => [exception],
    };

    /// <summary>The proxy and one fallback, both at the loopback server; the fallback's certificate is checked against 127.0.0.1.</summary>
    private static RabbitHaConnection CreateConnection(
        int port,
        string serverName,
        string? caFile,
        CapturingLoggerProvider? logs,
        TimeSpan? startupTimeout = null,
        Action<RabbitHaOptions>? configure = null)
    {
        var options = new RabbitHaOptions
        {
            Host = "127.0.0.1",
            Port = port,
            Password = Password,
            ClientProvidedName = "unit-test",
            ConnectionTimeout = TimeSpan.FromSeconds(5),
            HandshakeTimeout = TimeSpan.FromSeconds(1),
            Tls =
            {
                Enabled = true,
                ServerName = serverName,
                CaCertificatePath = caFile,

                // Never used (no client certificate is configured), and never shown.
                CertificatePassphrase = Passphrase,
            },
            Startup =
            {
                Timeout = startupTimeout ?? TimeSpan.FromSeconds(1),
                RetryDelay = TimeSpan.FromMilliseconds(20),
                MaxRetryDelay = TimeSpan.FromMilliseconds(100),
            },
        };
        options.FallbackEndpoints.Add($"127.0.0.1:{port}");
        configure?.Invoke(options);

        return new RabbitHaConnection(Options.Create(options), new RabbitHaMetrics(), TestLogging.CreateLogger<RabbitHaConnection>(logs));
    }
}
