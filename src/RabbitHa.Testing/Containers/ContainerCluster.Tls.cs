using System.Text;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;

namespace RabbitHa.Testing.Containers;

/// <summary>AMQP over TLS (<see cref="ContainerClusterBuilder.WithTls"/>): certificates, the nodes' and HAProxy's TLS ports.</summary>
public sealed partial class ContainerCluster
{
    /// <summary>The name of the CA certificate's file in <see cref="TlsFiles.Directory"/>.</summary>
    private const string CaCertificateFileName = "ca.pem";

    /// <summary>What a cluster built with TLS has; <see langword="null"/> without.</summary>
    private readonly TlsFiles? _tls;

    /// <inheritdoc />
    public bool TlsEnabled => _tls is not null;

    /// <inheritdoc />
    public Uri? AmqpsUri { get; }

    /// <inheritdoc />
    public string? CaCertificatePath => _tls?.CaCertificatePath;

    /// <inheritdoc />
    public string? CaCertificatePem => _tls?.Certificates.CaCertificatePem;

    /// <summary>How the start-up log line describes TLS: where, and the CA's file (no secret in either).</summary>
    private string TlsDescription => _tls is null
        ? string.Empty
        : $", HAProxy AMQPS (TLS on, passed through to the nodes) on {Loopback}:{_tls.ProxyPort}, CA certificate {_tls.CaCertificatePath}";

    private Uri AmqpsAt(int port) => new($"amqps://{UserName}:{Password}@{Loopback}:{port}/");

    /// <summary>
    /// A node's TLS listener: its port published on 127.0.0.1, the CA certificate, the node's certificate and key where
    /// docker/rabbitmq/tls.conf names them. rabbitmq.conf itself comes from <see cref="ClusterResources.NodeRabbitMqConf"/>.
    /// </summary>
    private ContainerBuilder WithNodeTls(ContainerBuilder builder, int node)
    {
        if (_tls is null)
        {
            return builder;
        }

        var certificate = _tls.Certificates.Nodes[node - 1];
        // Mode 644, owned by root (Testcontainers' default, written out so that a change of default cannot lock the broker
        // out of its key): the node runs as the rabbitmq user, whose uid differs between images (999 in the public ones,
        // whatever Debian's package picked in eng/setup-docker.sh's), so the files cannot be given to it from outside.
        // Erlang does not check a key file's mode (unlike the cookie's), the key is this cluster's and dies with it, and
        // the only process in the container is the broker.
        return builder
            .WithPortBinding(_tls.NodePorts[node - 1], ClusterResources.AmqpsPort)
            .WithResourceMapping(Encoding.ASCII.GetBytes(_tls.Certificates.CaCertificatePem), ClusterResources.TlsCaCertificateFile, fileMode: Unix.FileMode644)
            .WithResourceMapping(Encoding.ASCII.GetBytes(certificate.CertificatePem), ClusterResources.TlsCertificateFile, fileMode: Unix.FileMode644)
            .WithResourceMapping(Encoding.ASCII.GetBytes(certificate.PrivateKeyPem), ClusterResources.TlsKeyFile, fileMode: Unix.FileMode644);
    }

    /// <summary>HAProxy's TLS frontend: the variable that turns on haproxy.cfg's TLS section, and its port on 127.0.0.1.</summary>
    private ContainerBuilder WithProxyTls(ContainerBuilder builder) =>
        _tls is null
            ? builder
            : builder
                .WithPortBinding(_tls.ProxyPort, ClusterResources.AmqpsPort)
                .WithEnvironment(ClusterResources.ProxyTlsVariable, "1");

    /// <summary>
    /// Whether HAProxy has every server of its TLS backend UP. It checks them as it checks the plain ones (AMQP on 5672),
    /// but on its own schedule: after a restart, one backend may see a node UP a second before the other.
    /// </summary>
    private async Task<bool> IsProxyTlsBackendUpAsync(CancellationToken cancellationToken)
    {
        if (_tls is null)
        {
            return true;
        }

        try
        {
            var servers = await _management.GetProxyBackendsAsync(Proxy.StatsUri, ClusterResources.ProxyTlsBackend, cancellationToken).ConfigureAwait(false);
            return servers.Count == NodeCount && servers.All(s => s.Status == "UP");
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Removes the CA certificate's file and its directory; the containers have their own copies.</summary>
    private void DeleteTlsFiles()
    {
        if (_tls is null)
        {
            return;
        }

        try
        {
            _tls.Directory.Delete(recursive: true);
        }
        catch (IOException ex)
        {
            _configuration.Log($"Could not remove {_tls.Directory.FullName}: {ex.Message}");
        }
        catch (UnauthorizedAccessException ex)
        {
            _configuration.Log($"Could not remove {_tls.Directory.FullName}: {ex.Message}");
        }
    }

    /// <summary>The certificates of a TLS cluster, its TLS ports, and the CA certificate's file on this machine.</summary>
    private sealed class TlsFiles
    {
        private TlsFiles(ClusterCertificates certificates, int proxyPort, int[] nodePorts, DirectoryInfo directory)
        {
            Certificates = certificates;
            ProxyPort = proxyPort;
            NodePorts = nodePorts;
            Directory = directory;
            CaCertificatePath = Path.Combine(directory.FullName, CaCertificateFileName);
        }

        public ClusterCertificates Certificates { get; }

        public int ProxyPort { get; }

        public int[] NodePorts { get; }

        /// <summary>A directory of this cluster's own under the temporary directory (mode 700 on Unix).</summary>
        public DirectoryInfo Directory { get; }

        public string CaCertificatePath { get; }

        /// <summary>Generates the certificates and writes the CA certificate's file.</summary>
        /// <param name="clusterId">The cluster's id.</param>
        /// <param name="ports">HAProxy's TLS port, then each node's.</param>
        public static TlsFiles Create(string clusterId, int[] ports)
        {
            var certificates = ClusterCertificates.Generate(clusterId, ClusterResources.NodeCount, DateTimeOffset.UtcNow);
            var directory = System.IO.Directory.CreateTempSubdirectory($"rabbitha-{clusterId}-");
            var files = new TlsFiles(certificates, ports[0], ports[1..], directory);
            File.WriteAllText(files.CaCertificatePath, certificates.CaCertificatePem, Encoding.ASCII);
            return files;
        }
    }
}
