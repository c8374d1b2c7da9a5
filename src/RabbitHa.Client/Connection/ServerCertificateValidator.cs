using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using RabbitMQ.Client;

namespace RabbitHa.Client.Internal.Connection;

/// <summary>
/// Decides whether one endpoint's server certificate is trusted: the <see cref="SslOption.CertificateValidationCallback"/>
/// RabbitMQ.Client passes to SslStream for that endpoint. It remembers the endpoint's last refusal, in words, for the
/// start-up failure, and reports a refusal once (again only when the problem changes, or after the certificate was accepted).
/// </summary>
/// <remarks>
/// Without <see cref="RabbitHaTlsOptions.CaCertificatePath"/>, the decision is RabbitMQ.Client's own: accepted if and only if
/// SslStream's errors are all among <see cref="RabbitHaTlsOptions.AcceptablePolicyErrors"/>. With it, the chain is built again
/// against the file's certificates alone (<see cref="X509ChainTrustMode.CustomRootTrust"/>) and that result replaces SslStream's
/// chain errors; a name mismatch or a missing certificate stays as SslStream reported it.
/// </remarks>
internal sealed class ServerCertificateValidator
{
    // Server authentication, the purpose SslStream asks of a server certificate's chain.
    private const string ServerAuthenticationOid = "1.3.6.1.5.5.7.3.1";

    private readonly SslPolicyErrors _acceptable;
    private readonly bool _checkRevocation;
    private readonly CertificateAuthorities? _authorities;
    private readonly Action<CertificateRefusal>? _onRefused;
    private readonly object _gate = new();
    private CertificateRefusal? _lastRefusal;
    private string? _reportedProblem;

    /// <param name="endpoint">The endpoint as <c>host:port</c>.</param>
    /// <param name="serverName">The name the certificate must carry.</param>
    /// <param name="serverNameSource">The option that sets that name, for messages.</param>
    /// <param name="acceptablePolicyErrors">The errors tolerated.</param>
    /// <param name="checkRevocation">Whether the chain built against <paramref name="authorities"/> checks revocation (online).</param>
    /// <param name="authorities">The only roots trusted; <see langword="null"/> for the operating system's trust store.</param>
    /// <param name="onRefused">Told of a refusal once (see the class summary); it must not throw.</param>
    public ServerCertificateValidator(
        string endpoint,
        string serverName,
        string serverNameSource,
        SslPolicyErrors acceptablePolicyErrors,
        bool checkRevocation,
        CertificateAuthorities? authorities,
        Action<CertificateRefusal>? onRefused = null)
    {
        Endpoint = endpoint;
        ServerName = serverName;
        ServerNameSource = serverNameSource;
        _acceptable = acceptablePolicyErrors;
        _checkRevocation = checkRevocation;
        _authorities = authorities;
        _onRefused = onRefused;
    }

    /// <summary>Gets the endpoint as <c>host:port</c>.</summary>
    public string Endpoint { get; }

    /// <summary>Gets the name the certificate must carry.</summary>
    public string ServerName { get; }

    /// <summary>Gets the option that sets <see cref="ServerName"/>.</summary>
    public string ServerNameSource { get; }

    /// <summary>Gets why the last certificate was refused, or <see langword="null"/> if it was accepted or none was seen since <see cref="ForgetRefusal"/>.</summary>
    public CertificateRefusal? LastRefusal
    {
        get
        {
            lock (_gate)
            {
                return _lastRefusal;
            }
        }
    }

    /// <summary>Forgets the last refusal (a new start-up attempt begins), but not that it was reported.</summary>
    public void ForgetRefusal()
    {
        lock (_gate)
        {
            _lastRefusal = null;
        }
    }

    /// <summary>The <see cref="RemoteCertificateValidationCallback"/>: whether the server certificate is trusted.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors sslPolicyErrors)
    {
        X509Certificate2? serverCertificate = certificate switch
        {
            null => null,
            X509Certificate2 certificate2 => certificate2,
            _ => new X509Certificate2(certificate),
        };

        SslPolicyErrors errors = sslPolicyErrors;
        X509Chain? rebuilt = null;
        try
        {
            if (_authorities is not null)
            {
                // The operating system's verdict on the chain does not count; only the configured CAs do. When chain errors
                // are accepted anyway, there is nothing to decide.
                errors &= ~SslPolicyErrors.RemoteCertificateChainErrors;
                if (serverCertificate is not null && (_acceptable & SslPolicyErrors.RemoteCertificateChainErrors) == 0)
                {
                    rebuilt = BuildAgainstAuthorities(_authorities, serverCertificate, chain, out bool trusted);
                    if (!trusted)
                    {
                        errors |= SslPolicyErrors.RemoteCertificateChainErrors;
                    }
                }
            }

            SslPolicyErrors refused = errors & ~_acceptable;
            if (refused == SslPolicyErrors.None)
            {
                Accepted();
                return true;
            }

            string problem = CertificateProblems.Describe(refused, serverCertificate, rebuilt ?? chain, ServerName, _authorities);
            Refused(new CertificateRefusal(Endpoint, ServerName, ServerNameSource, problem));
            return false;
        }
        finally
        {
            rebuilt?.Dispose();
            if (!ReferenceEquals(serverCertificate, certificate))
            {
                serverCertificate?.Dispose();
            }
        }
    }

    private X509Chain BuildAgainstAuthorities(
        CertificateAuthorities authorities, X509Certificate2 certificate, X509Chain? presented, out bool trusted)
    {
        var chain = new X509Chain();
        X509ChainPolicy policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(authorities.Certificates);
        policy.RevocationMode = _checkRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck;
        policy.ApplicationPolicy.Add(new Oid(ServerAuthenticationOid));
        if (presented is not null)
        {
            // The intermediates the server sent: SslStream keeps them in its chain's extra store. They help build the chain;
            // they are never trusted for it.
            policy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
            foreach (X509ChainElement element in presented.ChainElements)
            {
                policy.ExtraStore.Add(element.Certificate);
            }
        }

        try
        {
            trusted = chain.Build(certificate);
        }
        catch (CryptographicException)
        {
            // An unreadable certificate; the chain's status (empty) describes it as unverifiable.
            trusted = false;
        }

        return chain;
    }

    private void Accepted()
    {
        lock (_gate)
        {
            _lastRefusal = null;
            _reportedProblem = null;
        }
    }

    private void Refused(CertificateRefusal refusal)
    {
        bool report;
        lock (_gate)
        {
            _lastRefusal = refusal;
            report = !string.Equals(_reportedProblem, refusal.Problem, StringComparison.Ordinal);
            _reportedProblem = refusal.Problem;
        }

        if (report)
        {
            _onRefused?.Invoke(refusal);
        }
    }
}
