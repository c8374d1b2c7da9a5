using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RabbitHa.Client.Tests.TestSupport;

/// <summary>
/// Certificate authorities and server certificates made in memory (ECDSA P-256: fast), and the files a test points
/// <see cref="RabbitHaTlsOptions.CaCertificatePath"/> at. Each file lives in a directory of its own, removed on dispose.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    private static readonly Oid s_serverAuthentication = new("1.3.6.1.5.5.7.3.1");

    private readonly string _directory = Directory.CreateTempSubdirectory("rabbitha-tls-").FullName;

    /// <summary>A self-signed CA, valid from 30 days ago for a year.</summary>
    public static X509Certificate2 CreateAuthority(string commonName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-30), now.AddYears(1));
    }

    /// <summary>
    /// A server certificate issued by <paramref name="authority"/> for <paramref name="dnsNames"/> and <paramref name="addresses"/>
    /// (subject alternative names), with its private key, loaded as SslStream's server side needs it.
    /// </summary>
    public static X509Certificate2 CreateServer(
        X509Certificate2 authority,
        string commonName,
        IEnumerable<string> dnsNames,
        IEnumerable<IPAddress>? addresses = null,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, false, 0, critical: false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([s_serverAuthentication], critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var alternativeNames = new SubjectAlternativeNameBuilder();
        foreach (string name in dnsNames)
        {
            alternativeNames.AddDnsName(name);
        }

        foreach (IPAddress address in addresses ?? [])
        {
            alternativeNames.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(alternativeNames.Build());
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 issued = request.Create(
            authority, notBefore ?? now.AddDays(-1), notAfter ?? now.AddDays(30), RandomNumberGenerator.GetBytes(16));
        using X509Certificate2 withKey = issued.CopyWithPrivateKey(key);

        // Through PKCS#12, so that the key is usable by SslStream on every platform (an ephemeral key is not on Windows).
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>Writes <paramref name="certificates"/> as one PEM file (public parts only) and returns its path.</summary>
    public string WritePem(params X509Certificate2[] certificates) =>
        Write(".pem", string.Join('\n', certificates.Select(static c => c.ExportCertificatePem())) + "\n");

    /// <summary>Writes <paramref name="certificate"/> as a DER file and returns its path.</summary>
    public string WriteDer(X509Certificate2 certificate)
    {
        string path = Path.Combine(_directory, $"{Guid.NewGuid():N}.cer");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Cert));
        return path;
    }

    /// <summary>Writes <paramref name="text"/> to a new file and returns its path.</summary>
    public string Write(string extension, string text)
    {
        string path = Path.Combine(_directory, $"{Guid.NewGuid():N}{extension}");
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
