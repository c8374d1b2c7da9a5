using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using RabbitHa.Testing.Containers;
using Xunit;

namespace RabbitHa.Testing.Tests;

/// <summary>TLS without a broker: the certificates a cluster generates, the configuration its nodes and HAProxy get, the builder option.</summary>
[Trait("Category", "Unit")]
public sealed class ClusterTlsTests
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private static readonly DateTimeOffset Now = new(2025, 3, 14, 15, 9, 26, 535, TimeSpan.Zero);

    [Fact]
    public void Certificates_EachNode_ChainsToTheClustersCa_ForServerAuthentication()
    {
        var certificates = ClusterCertificates.Generate("k3f9q2xz01", 3, DateTimeOffset.UtcNow);
        using var ca = X509Certificate2.CreateFromPem(certificates.CaCertificatePem);

        Assert.Equal(3, certificates.Nodes.Count);
        foreach (var node in certificates.Nodes)
        {
            using var certificate = X509Certificate2.CreateFromPem(node.CertificatePem);
            using var chain = ChainTrusting(ca);

            Assert.True(chain.Build(certificate), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
            Assert.Equal(2, chain.ChainElements.Count);
            Assert.Equal(ca.Thumbprint, chain.ChainElements[^1].Certificate.Thumbprint);
        }
    }

    [Fact]
    public void Certificates_OfAnotherCluster_DoNotChainToThisClustersCa()
    {
        var mine = ClusterCertificates.Generate("aaaaaaaaaa", 3, DateTimeOffset.UtcNow);
        var theirs = ClusterCertificates.Generate("bbbbbbbbbb", 3, DateTimeOffset.UtcNow);
        using var ca = X509Certificate2.CreateFromPem(mine.CaCertificatePem);
        using var certificate = X509Certificate2.CreateFromPem(theirs.Nodes[0].CertificatePem);
        using var chain = ChainTrusting(ca);

        Assert.False(chain.Build(certificate));
    }

    [Fact]
    public void Certificates_Ca_IsACaNamedAfterTheCluster_ThatSignsOnlyEndEntities()
    {
        var certificates = ClusterCertificates.Generate("k3f9q2xz01", 3, Now);
        using var ca = X509Certificate2.CreateFromPem(certificates.CaCertificatePem);

        Assert.Equal("CN=RabbitHa test CA k3f9q2xz01", ca.Subject);
        Assert.Equal(ca.Subject, ca.Issuer);
        var constraints = Extension<X509BasicConstraintsExtension>(ca);
        Assert.True(constraints.CertificateAuthority);
        Assert.True(constraints.HasPathLengthConstraint);
        Assert.Equal(0, constraints.PathLengthConstraint);
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, Extension<X509KeyUsageExtension>(ca).KeyUsages);
        Assert.Equal("1.2.840.10045.2.1", ca.PublicKey.Oid.Value); // id-ecPublicKey
        Assert.False(ca.HasPrivateKey);
    }

    [Fact]
    public void Certificates_Node_NamesTheNode_Localhost_AndTheLoopbackAddress()
    {
        var certificates = ClusterCertificates.Generate("k3f9q2xz01", 3, Now);

        for (var n = 1; n <= 3; n++)
        {
            using var certificate = X509Certificate2.CreateFromPem(certificates.Nodes[n - 1].CertificatePem);
            var names = Extension<X509SubjectAlternativeNameExtension>(certificate);

            Assert.Equal($"CN=rmq{n}", certificate.Subject);
            Assert.Equal($"rmq{n}", certificates.Nodes[n - 1].HostName);
            Assert.Equal([$"rmq{n}", "localhost"], names.EnumerateDnsNames());
            Assert.Equal([IPAddress.Loopback], names.EnumerateIPAddresses());
            Assert.True(certificate.MatchesHostname($"rmq{n}"));
            Assert.True(certificate.MatchesHostname("localhost"));
            Assert.True(certificate.MatchesHostname("127.0.0.1"));
            Assert.False(certificate.MatchesHostname($"rmq{(n % 3) + 1}"));
        }
    }

    [Fact]
    public void Certificates_Node_IsAServerCertificate_WithDigitalSignatureOnly()
    {
        var certificates = ClusterCertificates.Generate("k3f9q2xz01", 3, Now);
        using var certificate = X509Certificate2.CreateFromPem(certificates.Nodes[0].CertificatePem);

        Assert.Equal(X509KeyUsageFlags.DigitalSignature, Extension<X509KeyUsageExtension>(certificate).KeyUsages);
        Assert.True(Extension<X509KeyUsageExtension>(certificate).Critical);
        var usages = Extension<X509EnhancedKeyUsageExtension>(certificate).EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value);
        Assert.Equal([ServerAuthentication], usages);
        Assert.False(Extension<X509BasicConstraintsExtension>(certificate).CertificateAuthority);
    }

    [Fact]
    public void Certificates_AreValid_FromAnHourBefore_To7DaysAfter_InWholeSeconds()
    {
        var certificates = ClusterCertificates.Generate("k3f9q2xz01", 3, Now);
        var start = new DateTimeOffset(2025, 3, 14, 15, 9, 26, TimeSpan.Zero);

        foreach (var pem in certificates.Nodes.Select(n => n.CertificatePem).Prepend(certificates.CaCertificatePem))
        {
            using var certificate = X509Certificate2.CreateFromPem(pem);
            Assert.Equal(start.AddHours(-1).UtcDateTime, certificate.NotBefore.ToUniversalTime());
            Assert.Equal(start.AddDays(7).UtcDateTime, certificate.NotAfter.ToUniversalTime());
        }
    }

    [Fact]
    public void Certificates_NodeKey_IsAnUnencryptedPkcs8EcdsaP256Key_OfItsCertificate()
    {
        var certificates = ClusterCertificates.Generate("k3f9q2xz01", 3, Now);

        foreach (var node in certificates.Nodes)
        {
            Assert.StartsWith("-----BEGIN PRIVATE KEY-----", node.PrivateKeyPem, StringComparison.Ordinal);
            Assert.Equal(1, CountOccurrences(node.PrivateKeyPem, "-----BEGIN "));
            Assert.StartsWith("-----BEGIN CERTIFICATE-----", node.CertificatePem, StringComparison.Ordinal);
            using var withKey = X509Certificate2.CreateFromPem(node.CertificatePem, node.PrivateKeyPem);
            using var key = withKey.GetECDsaPrivateKey();
            Assert.NotNull(key);
            Assert.Equal(256, key.KeySize);
            Assert.Equal(ECCurve.NamedCurves.nistP256.Oid.Value, key.ExportParameters(false).Curve.Oid.Value);
        }

        Assert.Equal(3, certificates.Nodes.Select(n => n.PrivateKeyPem).Distinct().Count());
    }

    [Fact]
    public void NodeCertificate_ToString_LeavesTheKeyOut()
    {
        var node = ClusterCertificates.Generate("k3f9q2xz01", 1, Now).Nodes[0];

        Assert.DoesNotContain("PRIVATE KEY", node.ToString(), StringComparison.Ordinal);
        Assert.Contains("rmq1", node.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void NodeRabbitMqConf_WithoutTls_IsDockersRabbitMqConfAsItIs()
    {
        Assert.Equal(ClusterResources.RabbitMqConf, ClusterResources.NodeRabbitMqConf(tls: false));
        Assert.DoesNotContain("ssl", Encoding.UTF8.GetString(ClusterResources.RabbitMqConf), StringComparison.Ordinal);
    }

    [Fact]
    public void NodeRabbitMqConf_WithTls_AddsTheTlsListener_AndTheFilesTheFixtureMaps()
    {
        var conf = Encoding.UTF8.GetString(ClusterResources.NodeRabbitMqConf(tls: true));
        var settings = Settings(conf);

        Assert.StartsWith(Encoding.UTF8.GetString(ClusterResources.RabbitMqConf), conf, StringComparison.Ordinal);
        Assert.Equal("5671", settings["listeners.ssl.default"]);
        Assert.Equal(ClusterResources.TlsCaCertificateFile, settings["ssl_options.cacertfile"]);
        Assert.Equal(ClusterResources.TlsCertificateFile, settings["ssl_options.certfile"]);
        Assert.Equal(ClusterResources.TlsKeyFile, settings["ssl_options.keyfile"]);
        Assert.Equal("verify_none", settings["ssl_options.verify"]);
        Assert.Equal("false", settings["ssl_options.fail_if_no_peer_cert"]);
        // Plain AMQP stays on its default port (HAProxy's health check and the tests use it), the management API on its own.
        Assert.DoesNotContain(settings.Keys, k => k.StartsWith("listeners.tcp", StringComparison.Ordinal));
        Assert.DoesNotContain(settings.Keys, k => k.StartsWith("management.ssl", StringComparison.Ordinal));
        Assert.Equal("15672", settings["management.tcp.port"]);
    }

    [Fact]
    public void HaProxyConfig_HasTheTlsSection_OnlyWhenTheFixturesVariableIsDefined()
    {
        var lines = Encoding.UTF8.GetString(ClusterResources.HaProxyConfig).Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        var start = Array.IndexOf(lines, $".if defined({ClusterResources.ProxyTlsVariable})");
        Assert.True(start >= 0, "haproxy.cfg has no '.if defined(RABBITHA_TLS)' line.");
        var end = Array.IndexOf(lines, ".endif", start);
        Assert.True(end > start, "The TLS section of haproxy.cfg has no '.endif'.");
        var section = lines[(start + 1)..end].Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
        var outside = lines[..start].Concat(lines[(end + 1)..]).Where(l => !l.TrimStart().StartsWith('#')).ToArray();

        Assert.Contains("frontend amqps", section);
        Assert.Contains("bind :5671", section);
        Assert.Contains($"default_backend {ClusterResources.ProxyTlsBackend}", section);
        Assert.Contains($"backend {ClusterResources.ProxyTlsBackend}", section);
        Assert.DoesNotContain(section, l => l.StartsWith(".if", StringComparison.Ordinal));
        Assert.DoesNotContain(outside, l => l.Contains("5671", StringComparison.Ordinal));
        Assert.DoesNotContain(section, l => l.StartsWith("mode ", StringComparison.Ordinal) || l.Contains("ssl", StringComparison.Ordinal));
    }

    [Fact]
    public void HaProxyConfig_TlsBackend_ChecksEachNodeLikeThePlainOne_OnThePlainPort()
    {
        var config = Encoding.UTF8.GetString(ClusterResources.HaProxyConfig);
        var plain = Section(config, "backend rabbitmq");
        var tls = Section(config, $"backend {ClusterResources.ProxyTlsBackend}");

        Assert.Equal(["tcp-check connect", "tcp-check send-binary 414d515000000901", "tcp-check expect binary 000a000a"], plain.Where(l => l.StartsWith("tcp-check", StringComparison.Ordinal)));
        Assert.Equal(["tcp-check connect port 5672", "tcp-check send-binary 414d515000000901", "tcp-check expect binary 000a000a"], tls.Where(l => l.StartsWith("tcp-check", StringComparison.Ordinal)));
        // Same failover behaviour: the same options (shutdown-sessions, redispatch, check timings), only the port differs.
        Assert.Equal(plain.Where(l => !l.StartsWith("tcp-check", StringComparison.Ordinal) && !l.StartsWith("server ", StringComparison.Ordinal)),
            tls.Where(l => !l.StartsWith("tcp-check", StringComparison.Ordinal) && !l.StartsWith("server ", StringComparison.Ordinal)));
        Assert.Contains(tls, l => l.StartsWith("default-server", StringComparison.Ordinal) && l.Contains("on-marked-down shutdown-sessions", StringComparison.Ordinal));
        Assert.Equal(["server rmq1 rmq1:5671 check", "server rmq2 rmq2:5671 check", "server rmq3 rmq3:5671 check"], tls.Where(l => l.StartsWith("server ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Build_WithoutTls_HasNoTlsEndpointAndNoCa()
    {
        await using var cluster = new ContainerClusterBuilder().Build();

        Assert.False(cluster.TlsEnabled);
        Assert.False(cluster.Configuration.Tls);
        Assert.Null(cluster.AmqpsUri);
        Assert.Null(cluster.CaCertificatePath);
        Assert.Null(cluster.CaCertificatePem);
        Assert.All(cluster.Nodes, n => Assert.Null(n.AmqpsUri));
    }

    [Fact]
    public async Task Build_WithTls_GivesHaProxyAndEachNodeAnAmqpsEndpoint_OnItsOwnLoopbackPort_KeepingThePlainOnes()
    {
        await using var cluster = new ContainerClusterBuilder().WithTls().Build();

        Assert.True(cluster.TlsEnabled);
        Assert.True(cluster.Configuration.Tls);
        var amqps = cluster.Nodes.Select(n => n.AmqpsUri!).Prepend(cluster.AmqpsUri!).ToArray();
        Assert.All(amqps, u =>
        {
            Assert.NotNull(u);
            Assert.Equal("amqps", u.Scheme);
            Assert.Equal("127.0.0.1", u.Host);
            Assert.Equal($"{cluster.UserName}:{cluster.Password}", u.UserInfo);
        });
        Assert.All(cluster.Nodes.Select(n => n.AmqpUri).Append(cluster.AmqpUri), u => Assert.Equal("amqp", u.Scheme));
        var ports = cluster.Nodes.SelectMany(n => new[] { n.AmqpUri.Port, n.ManagementUri.Port, n.AmqpsUri!.Port })
            .Append(cluster.AmqpUri.Port)
            .Append(cluster.Proxy.StatsUri.Port)
            .Append(cluster.AmqpsUri!.Port)
            .ToArray();
        Assert.Equal(12, ports.Distinct().Count());
    }

    [Fact]
    public async Task Build_WithTls_WritesTheCaCertificate_AndDisposeRemovesIt()
    {
        var cluster = new ContainerClusterBuilder().WithTls().Build();
        var path = cluster.CaCertificatePath;

        Assert.NotNull(path);
        Assert.True(File.Exists(path));
        Assert.Contains(cluster.Id, Path.GetDirectoryName(path), StringComparison.Ordinal);
        Assert.Equal(cluster.CaCertificatePem, await File.ReadAllTextAsync(path));
        using (var ca = X509Certificate2.CreateFromPem(cluster.CaCertificatePem))
        {
            Assert.Equal($"CN=RabbitHa test CA {cluster.Id}", ca.Subject);
        }

        await cluster.DisposeAsync();

        Assert.False(File.Exists(path));
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)));
    }

    [Fact]
    public async Task Build_WithTls_GivesEachClusterItsOwnCa()
    {
        await using var first = new ContainerClusterBuilder().WithTls().Build();
        await using var second = new ContainerClusterBuilder().WithTls().Build();

        Assert.NotEqual(first.CaCertificatePem, second.CaCertificatePem);
        Assert.NotEqual(first.CaCertificatePath, second.CaCertificatePath);
    }

    private static X509Chain ChainTrusting(X509Certificate2 ca)
    {
        var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ServerAuthentication));
        return chain;
    }

    private static T Extension<T>(X509Certificate2 certificate)
        where T : X509Extension =>
        Assert.Single(certificate.Extensions.OfType<T>());

    private static int CountOccurrences(string text, string value) =>
        (text.Length - text.Replace(value, string.Empty, StringComparison.Ordinal).Length) / value.Length;

    /// <summary>rabbitmq.conf's <c>key = value</c> lines; a key set twice fails the test (the broker would take the last one).</summary>
    private static Dictionary<string, string> Settings(string conf)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in conf.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            Assert.True(equals > 0, $"Not a rabbitmq.conf setting: '{line}'.");
            settings.Add(line[..equals].Trim(), line[(equals + 1)..].Trim());
        }

        return settings;
    }

    /// <summary>The lines of one haproxy.cfg section, trimmed, without comments and conditional-block lines.</summary>
    private static string[] Section(string config, string header)
    {
        var lines = config.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        var start = Array.IndexOf(lines, header);
        Assert.True(start >= 0, $"haproxy.cfg has no '{header}' section.");
        return lines.Skip(start + 1)
            .TakeWhile(l => l.Length == 0 || char.IsWhiteSpace(l[0]) || l.StartsWith('#'))
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToArray();
    }
}
