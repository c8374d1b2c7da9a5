using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitHa.Client;
using RabbitHa.Testing;
using RabbitHa.Testing.Xunit;
using RabbitMQ.Client;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Chaos;

/// <summary>
/// AMQP over TLS on the chaos suite's cluster (built <c>WithTls()</c>: a CA of its own, TLS passed through HAProxy to the
/// nodes): an application that publishes and consumes over <c>amqps://</c>, and the start of one whose TLS settings are
/// wrong. The node kill over TLS is a row of <see cref="NodeFailureScenarios"/>. These tests break nothing.
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", "Integration")]
public sealed class TlsTests(ChaosClusterFixture fixture, ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rabbitha-tls-test-").FullName;

    private IRabbitHaCluster Cluster => fixture.Cluster;

    private Uri ProxyAmqps => Cluster.AmqpsUri ?? throw new InvalidOperationException("The chaos cluster has no TLS.");

    [DockerFact]
    public async Task OneApp_OverAmqpsWithTheClustersCa_PublishesAndConsumesThroughHaProxyAndEachNode()
    {
        const int Messages = 200;
        string queue = "tls-" + Guid.NewGuid().ToString("N")[..8];
        var handled = new ConcurrentDictionary<string, int>();
        using IHost host = BuildApp(queue, o =>
        {
            o.Uri = ProxyAmqps.ToString();
            o.Tls.CaCertificatePath = Cluster.CaCertificatePath;
            foreach (IRabbitHaClusterNode node in Cluster.Nodes)
            {
                o.FallbackEndpoints.Add($"{node.AmqpsUri!.Host}:{node.AmqpsUri.Port}");
            }
        }, handled);

        await host.StartAsync();
        try
        {
            var publisher = host.Services.GetRequiredService<IRabbitHaPublisher>();
            for (int i = 0; i < Messages; i++)
            {
                string id = $"tls-{i:D4}";
                await publisher.PublishAsync(string.Empty, queue, Encoding.UTF8.GetBytes(id), new BasicProperties { MessageId = id });
            }

            await Eventually.HoldsAsync(() => Task.FromResult(handled.Count == Messages), TimeSpan.FromSeconds(30), $"all {Messages} messages are handled");
            var connection = host.Services.GetRequiredService<IRabbitHaConnection>();
            output.WriteLine($"{Messages} published and handled over {connection.CurrentEndpoint}");
            Assert.Equal(ProxyAmqps.Port, connection.CurrentEndpoint?.Port);
        }
        finally
        {
            await host.StopAsync();
        }

        // Each node's own TLS port, checked against the node's certificate as the fallbacks are.
        foreach (IRabbitHaClusterNode node in Cluster.Nodes)
        {
            var factory = new ConnectionFactory
            {
                Uri = node.AmqpsUri!,
                Ssl = new SslOption(node.AmqpsUri!.Host, enabled: true)
                {
                    CertificateValidationCallback = (_, certificate, chain, errors) => ChainsTo(certificate, Cluster.CaCertificatePath!) && (errors & ~System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors) == 0,
                },
            };
            await using IConnection direct = await factory.CreateConnectionAsync("tls-node-" + node.Number);
            Assert.True(direct.IsOpen, $"{node.HostName}'s TLS port");
        }

        Assert.Equal(Messages, handled.Count);
        Assert.All(handled.Values, n => Assert.Equal(1, n));
    }

    [DockerFact]
    public async Task Start_WithAnotherCa_FailsNamingTheEndpointAndTheCaTheChainEndsAt()
    {
        string otherCa = WriteOtherCa();

        RabbitHaConnectionException ex = await StartFailsAsync(o =>
        {
            o.Uri = ProxyAmqps.ToString();
            o.Tls.CaCertificatePath = otherCa;
        });

        Assert.Contains($"127.0.0.1:{ProxyAmqps.Port}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("chain ends at 'CN=RabbitHa test CA", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Tls:CaCertificatePath", ex.Message, StringComparison.Ordinal);
        Assert.Contains("CN=Another CA", ex.Message, StringComparison.Ordinal);
    }

    [DockerFact]
    public async Task Start_WithoutTheClustersCa_FailsSayingTheRootIsUntrusted()
    {
        RabbitHaConnectionException ex = await StartFailsAsync(o => o.Uri = ProxyAmqps.ToString());

        Assert.Contains($"127.0.0.1:{ProxyAmqps.Port}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("untrusted root 'CN=RabbitHa test CA", ex.Message, StringComparison.Ordinal);
        Assert.Contains("set Tls:CaCertificatePath", ex.Message, StringComparison.Ordinal);
    }

    [DockerFact]
    public async Task Start_WithAServerNameTheCertificatesDoNotCarry_FailsNamingTheNamesTheyCarry()
    {
        RabbitHaConnectionException ex = await StartFailsAsync(o =>
        {
            o.Uri = ProxyAmqps.ToString();
            o.Tls.CaCertificatePath = Cluster.CaCertificatePath;
            o.Tls.ServerName = "orders.example";
        });

        Assert.Contains($"127.0.0.1:{ProxyAmqps.Port}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not for 'orders.example'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Tls:ServerName", ex.Message, StringComparison.Ordinal);
        Assert.Contains("localhost, 127.0.0.1", ex.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<RabbitHaConnectionException> StartFailsAsync(Action<RabbitHaOptions> configure)
    {
        string queue = "tls-refused-" + Guid.NewGuid().ToString("N")[..8];
        using IHost host = BuildApp(queue, configure, new ConcurrentDictionary<string, int>());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<RabbitHaConnectionException>(() => host.StartAsync());
        output.WriteLine($"Start failed after {clock.Elapsed.TotalSeconds:F2} s: {ex.Message}");

        // A certificate problem is not retried until Startup:Timeout (60 s): the start fails as soon as TLS refuses it.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the start took {clock.Elapsed.TotalSeconds:F1} s to fail");
        Assert.DoesNotContain(Cluster.Password, ex.ToString(), StringComparison.Ordinal);
        return ex;
    }

    private IHost BuildApp(string queue, Action<RabbitHaOptions> configure, ConcurrentDictionary<string, int> handled)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddProvider(new XunitLoggerProvider(output) { MinimumLevel = LogLevel.Warning, Source = queue, FullExceptions = false });
        builder.Services.AddSingleton(handled);
        builder.Services
            .AddRabbitHa(o =>
            {
                o.ClientProvidedName = queue;
                configure(o);
            })
            .AddTopology(t => t.Queues.Add(new RabbitHaQueueDefinition { Name = queue, Type = RabbitHaQueueType.Quorum }))
            .AddPublisher()
            .AddConsumer<CountingHandler>(queue);
        return builder.Build();
    }

    /// <summary>A CA certificate of no cluster, as a PEM file.</summary>
    private string WriteOtherCa()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Another CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        using X509Certificate2 ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        string path = Path.Combine(_directory, "another-ca.pem");
        File.WriteAllText(path, ca.ExportCertificatePem());
        return path;
    }

    /// <summary>Whether a certificate chains to the CA in a PEM file, and to nothing else.</summary>
    private static bool ChainsTo(X509Certificate? certificate, string caPath)
    {
        if (certificate is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.ImportFromPemFile(caPath);
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    /// <summary>Counts each message id it handles.</summary>
    private sealed class CountingHandler(ConcurrentDictionary<string, int> handled) : IRabbitHaHandler<ReadOnlyMemory<byte>>
    {
        public Task HandleAsync(ReadOnlyMemory<byte> message, RabbitHaMessageContext context, CancellationToken cancellationToken)
        {
            handled.AddOrUpdate(context.MessageId!, 1, static (_, n) => n + 1);
            return Task.CompletedTask;
        }
    }
}
