using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RabbitHa.Testing;

/// <summary>
/// The certificates of one TLS cluster, generated when it is built: a CA of its own and one server certificate per node,
/// signed by it. Nothing is read from or trusted on the machine.
/// </summary>
/// <remarks>
/// <para>
/// ECDSA P-256 keys. Each node's private key is exported as PKCS#8 PEM (<c>BEGIN PRIVATE KEY</c>), which Erlang's
/// <c>public_key</c> decodes for EC keys as for RSA ones (<c>ssl_options.keyfile</c> on OTP 25 and 27, the RabbitMQ 3.10
/// and 4.0 of eng/setup-docker.sh, and the public images' newer OTPs).
/// </para>
/// <para>
/// The CA's private key never leaves this object's construction: once the node certificates are signed it is dropped, so
/// nobody can issue another certificate the cluster's clients would trust.
/// </para>
/// </remarks>
internal sealed class ClusterCertificates
{
    /// <summary>How long before its creation a certificate is valid: a container's clock a little behind the host's is fine.</summary>
    public static readonly TimeSpan Backdating = TimeSpan.FromHours(1);

    /// <summary>How long after its creation a certificate is valid: far longer than any test run.</summary>
    public static readonly TimeSpan Validity = TimeSpan.FromDays(7);

    /// <summary>The names every node certificate carries besides the node's host name: what a client on the host connects to.</summary>
    public const string LoopbackHostName = "localhost";

    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1", "Server Authentication");

    private ClusterCertificates(string caCertificatePem, IReadOnlyList<NodeCertificate> nodes)
    {
        CaCertificatePem = caCertificatePem;
        Nodes = nodes;
    }

    /// <summary>Gets the CA certificate, PEM (<c>BEGIN CERTIFICATE</c>): what a client trusts.</summary>
    public string CaCertificatePem { get; }

    /// <summary>Gets the certificate and key of each node, in node order (index 0 is node 1).</summary>
    public IReadOnlyList<NodeCertificate> Nodes { get; }

    /// <summary>Generates a CA named after the cluster and one certificate per node.</summary>
    /// <param name="clusterId">The cluster's id, in the CA's subject: two clusters' CAs are told apart in a certificate error.</param>
    /// <param name="nodeCount">How many nodes, numbered from 1 (<c>rmq1</c> ...).</param>
    /// <param name="now">The time of creation.</param>
    public static ClusterCertificates Generate(string clusterId, int nodeCount, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clusterId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nodeCount);

        // A certificate keeps its dates to the second, and a node's may not outlast its issuer's: whole seconds for both.
        var start = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        var notBefore = start - Backdating;
        var notAfter = start + Validity;

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN=RabbitHa test CA {clusterId}", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(
            certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        var caKeyIdentifier = new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, critical: false);
        caRequest.CertificateExtensions.Add(caKeyIdentifier);
        using var ca = caRequest.CreateSelfSigned(notBefore, notAfter);

        var nodes = Enumerable.Range(1, nodeCount)
            .Select(node => CreateNode(ca, caKeyIdentifier, ClusterResources.HostName(node), notBefore, notAfter))
            .ToArray();
        return new ClusterCertificates(ca.ExportCertificatePem(), nodes);
    }

    private static NodeCertificate CreateNode(
        X509Certificate2 ca, X509SubjectKeyIdentifierExtension caKeyIdentifier, string hostName, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={hostName}", key, HashAlgorithmName.SHA256);

        // The node's name on the cluster network, and the names a client on the host uses, for HAProxy (TLS passes through
        // it, so HAProxy's endpoint shows the node's certificate) as for the node's own published port.
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(hostName);
        names.AddDnsName(LoopbackHostName);
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(
            certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuthentication], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(caKeyIdentifier));

        using var certificate = request.Create(ca, notBefore, notAfter, SerialNumber());
        return new NodeCertificate(hostName, certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>16 random bytes, positive (RFC 5280: at most 20 octets, non-negative).</summary>
    private static byte[] SerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        return serial;
    }
}

/// <summary>A node's server certificate and private key, both PEM.</summary>
internal sealed class NodeCertificate
{
    public NodeCertificate(string hostName, string certificatePem, string privateKeyPem)
    {
        HostName = hostName;
        CertificatePem = certificatePem;
        PrivateKeyPem = privateKeyPem;
    }

    /// <summary>Gets the node's host name, its certificate's subject (<c>CN=rmq1</c>).</summary>
    public string HostName { get; }

    /// <summary>Gets the certificate, PEM (<c>BEGIN CERTIFICATE</c>).</summary>
    public string CertificatePem { get; }

    /// <summary>Gets the private key, PKCS#8 PEM (<c>BEGIN PRIVATE KEY</c>), unencrypted: the node reads it as it is.</summary>
    public string PrivateKeyPem { get; }

    /// <summary>Keeps the key out of logs and assertion messages.</summary>
    public override string ToString() => $"{nameof(NodeCertificate)} {{ {nameof(HostName)} = {HostName} }}";
}
