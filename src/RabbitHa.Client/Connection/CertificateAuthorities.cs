using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace RabbitHa.Client.Internal.Connection;

/// <summary>
/// The certificates of <see cref="RabbitHaTlsOptions.CaCertificatePath"/>: when it is set, the only roots a server certificate
/// may chain to. Read once, when the connection settings are built, never per handshake.
/// </summary>
internal sealed class CertificateAuthorities
{
    /// <summary>The option, as messages name it.</summary>
    public const string Option = "Tls:CaCertificatePath";

    private static readonly byte[] s_pemBoundary = Encoding.ASCII.GetBytes("-----BEGIN ");

    private CertificateAuthorities(string path, X509Certificate2Collection certificates)
    {
        Path = path;
        Certificates = certificates;
    }

    /// <summary>Gets the file the certificates come from.</summary>
    public string Path { get; }

    /// <summary>Gets the certificates, at least one.</summary>
    public X509Certificate2Collection Certificates { get; }

    /// <summary>Gets the certificates' subjects, quoted and comma-separated, for messages.</summary>
    public string Subjects => string.Join(", ", Certificates.Select(static c => $"'{c.Subject}'"));

    /// <summary>Whether one of the certificates has <paramref name="subject"/> as its subject (another key may stand behind it).</summary>
    public bool HasSubject(string subject) => Certificates.Any(c => string.Equals(c.Subject, subject, StringComparison.Ordinal));

    /// <summary>Reads the certificates of a PEM or DER file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="authorities">The certificates, when there is at least one.</param>
    /// <param name="problem">Otherwise what is wrong with the file, to follow "must name a file holding at least one certificate;".</param>
    public static bool TryLoad(string path, [NotNullWhen(true)] out CertificateAuthorities? authorities, [NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(path);
        authorities = null;
        X509Certificate2Collection certificates;
        try
        {
            certificates = Read(File.ReadAllBytes(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            problem = $"it could not be read ({ex.GetType().Name}: {ex.Message})";
            return false;
        }

        if (certificates.Count == 0)
        {
            problem = "it holds none";
            return false;
        }

        authorities = new CertificateAuthorities(path, certificates);
        problem = null;
        return true;
    }

    /// <summary>Reads the certificates of options that passed <see cref="RabbitHaOptionsValidator"/>.</summary>
    /// <exception cref="InvalidOperationException">The file is missing or holds no certificate; validation at start-up reports why.</exception>
    public static CertificateAuthorities Load(string path) =>
        TryLoad(path, out CertificateAuthorities? authorities, out string? problem)
            ? authorities
            : throw new InvalidOperationException(
                $"{RabbitHaOptions.SectionName}:{Option} must name a PEM or DER file holding at least one certificate; {problem} (was '{path}').");

    private static X509Certificate2Collection Read(byte[] content)
    {
        var certificates = new X509Certificate2Collection();
        if (content.Length == 0)
        {
            return certificates;
        }

        if (content.AsSpan().IndexOf(s_pemBoundary) >= 0)
        {
            // Only CERTIFICATE blocks are read; a key or anything else in the same file is ignored.
            certificates.ImportFromPem(Encoding.ASCII.GetString(content));
            return certificates;
        }

#if NET9_0_OR_GREATER
        certificates.Add(X509CertificateLoader.LoadCertificate(content));
#else
        certificates.Add(new X509Certificate2(content));
#endif
        return certificates;
    }
}
