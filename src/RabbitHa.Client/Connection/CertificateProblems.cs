using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RabbitHa.Client.Internal.Connection;

/// <summary>
/// Puts what TLS found wrong with a server certificate into words a person can act on: the CA its chain ends at, the names
/// it is issued for, when it expired. SslStream only says <see cref="SslPolicyErrors"/>, and RabbitMQ.Client's exception
/// only that a callback rejected the certificate.
/// </summary>
internal static class CertificateProblems
{
    private const string SubjectAlternativeNameOid = "2.5.29.17";
    private const string DateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'";
    private const X509ChainStatusFlags UntrustedEnd = X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain;
    private const X509ChainStatusFlags RevocationUnknown = X509ChainStatusFlags.RevocationStatusUnknown | X509ChainStatusFlags.OfflineRevocation;
    private const X509ChainStatusFlags Described =
        UntrustedEnd | RevocationUnknown | X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.Revoked;

    /// <summary>Describes why a certificate was refused.</summary>
    /// <param name="errors">The errors that refused it (those <see cref="RabbitHaTlsOptions.AcceptablePolicyErrors"/> does not accept).</param>
    /// <param name="certificate">The server's certificate, if it sent one.</param>
    /// <param name="chain">
    /// The chain that decided: the one built against <paramref name="authorities"/> when they are set, else the one SslStream
    /// built with the operating system's trust store.
    /// </param>
    /// <param name="serverName">The name the certificate was checked against.</param>
    /// <param name="authorities">The certificates of <see cref="RabbitHaTlsOptions.CaCertificatePath"/>, or <see langword="null"/>.</param>
    public static string Describe(
        SslPolicyErrors errors, X509Certificate2? certificate, X509Chain? chain, string serverName, CertificateAuthorities? authorities)
    {
        var problems = new List<string>(3);
        if ((errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            problems.Add("the server sent no certificate");
        }

        if (certificate is not null && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            problems.Add(DescribeNameMismatch(certificate, serverName));
        }

        if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            problems.Add(certificate is null || chain is null
                ? "its chain could not be verified"
                : DescribeChain(certificate, chain, authorities));
        }

        return problems.Count == 0 ? $"refused ({errors})" : string.Join("; ", problems);
    }

    /// <summary>The names a certificate is issued for: its subject alternative names (DNS names, then addresses), as SslStream checks them.</summary>
    public static IReadOnlyList<string> SubjectAlternativeNames(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var names = new List<string>();
        foreach (X509Extension extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAlternativeNameOid)
            {
                continue;
            }

            try
            {
                var alternativeNames = extension as X509SubjectAlternativeNameExtension
                    ?? new X509SubjectAlternativeNameExtension(extension.RawData, extension.Critical);
                names.AddRange(alternativeNames.EnumerateDnsNames());
                names.AddRange(alternativeNames.EnumerateIPAddresses().Select(static address => address.ToString()));
            }
            catch (CryptographicException)
            {
                // Malformed: the certificate is described by its subject instead.
            }
        }

        return names;
    }

    private static string DescribeNameMismatch(X509Certificate2 certificate, string serverName)
    {
        IReadOnlyList<string> names = SubjectAlternativeNames(certificate);
        string issuedFor = names.Count > 0
            ? $"{string.Join(", ", names)} (subject alternative names)"
            : $"'{certificate.Subject}' (its subject; it has no subject alternative names)";
        return $"the certificate is issued for {issuedFor}, not for '{serverName}'";
    }

    private static string DescribeChain(X509Certificate2 certificate, X509Chain chain, CertificateAuthorities? authorities)
    {
        X509ChainStatusFlags flags = X509ChainStatusFlags.NoError;
        foreach (X509ChainStatus status in chain.ChainStatus)
        {
            flags |= status.Status;
        }

        var problems = new List<string>();
        if ((flags & UntrustedEnd) != 0)
        {
            problems.Add(DescribeUntrustedEnd(certificate, chain, flags, authorities));
        }

        if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
        {
            problems.Add(DescribeValidity(certificate, chain));
        }

        if ((flags & X509ChainStatusFlags.Revoked) != 0)
        {
            problems.Add($"{Who(certificate, chain, X509ChainStatusFlags.Revoked)} is revoked");
        }

        if ((flags & RevocationUnknown) != 0)
        {
            problems.Add($"{Who(certificate, chain, RevocationUnknown)} could not be checked for revocation (Tls:CheckCertificateRevocation " +
                "is on, and no revocation list or OCSP answer could be had)");
        }

        if ((flags & ~Described) != 0)
        {
            IEnumerable<string> others = chain.ChainStatus
                .Where(static s => (s.Status & ~Described) != 0)
                .Select(static s => $"{s.Status}: {s.StatusInformation.Trim()}")
                .Distinct(StringComparer.Ordinal);
            problems.Add($"its chain is invalid ({string.Join("; ", others)})");
        }

        return problems.Count == 0 ? "its chain could not be verified" : string.Join("; ", problems);
    }

    private static string DescribeUntrustedEnd(
        X509Certificate2 certificate, X509Chain chain, X509ChainStatusFlags flags, CertificateAuthorities? authorities)
    {
        // A partial chain stops at a certificate whose issuer could not be found: that issuer is where it ends. An untrusted
        // root is a self-signed certificate that the store does not hold.
        X509Certificate2 last = chain.ChainElements.Count > 0 ? chain.ChainElements[^1].Certificate : certificate;
        string end = (flags & X509ChainStatusFlags.PartialChain) != 0 ? last.Issuer : last.Subject;
        if (authorities is null)
        {
            return $"untrusted root '{end}' (not in the operating system's trust store; set {CertificateAuthorities.Option} to the cluster's CA)";
        }

        string problem = $"the certificate's chain ends at '{end}', which is not among the {authorities.Certificates.Count} certificate(s) of " +
            $"{CertificateAuthorities.Option} ({authorities.Subjects} in '{authorities.Path}')";
        return authorities.HasSubject(end)
            ? problem + ": the file has a certificate of that name with another key (was the CA generated again?)"
            : problem;
    }

    private static string DescribeValidity(X509Certificate2 certificate, X509Chain chain)
    {
        X509Certificate2 outOfDate = Find(certificate, chain, X509ChainStatusFlags.NotTimeValid);
        string who = Who(certificate, chain, X509ChainStatusFlags.NotTimeValid);
        DateTime notAfter = outOfDate.NotAfter.ToUniversalTime();
        DateTime notBefore = outOfDate.NotBefore.ToUniversalTime();
        DateTime now = DateTime.UtcNow;
        if (notAfter < now)
        {
            return $"{who} expired at {notAfter.ToString(DateFormat, CultureInfo.InvariantCulture)} (NotAfter)";
        }

        return notBefore > now
            ? $"{who} is not valid before {notBefore.ToString(DateFormat, CultureInfo.InvariantCulture)} (NotBefore)"
            : $"{who} is outside its validity period";
    }

    /// <summary>"the certificate", or "the issuing certificate 'CN=…'" when the chain element with <paramref name="status"/> is a CA's.</summary>
    private static string Who(X509Certificate2 certificate, X509Chain chain, X509ChainStatusFlags status)
    {
        X509Certificate2 found = Find(certificate, chain, status);
        return found.RawDataMemory.Span.SequenceEqual(certificate.RawDataMemory.Span)
            ? "the certificate"
            : $"the issuing certificate '{found.Subject}'";
    }

    private static X509Certificate2 Find(X509Certificate2 certificate, X509Chain chain, X509ChainStatusFlags status)
    {
        foreach (X509ChainElement element in chain.ChainElements)
        {
            if (element.ChainElementStatus.Any(s => (s.Status & status) != 0))
            {
                return element.Certificate;
            }
        }

        return certificate;
    }
}
