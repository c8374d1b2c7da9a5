using System.Net.Security;
using System.Security.Authentication;
using RabbitHa.Client.Internal.Diagnostics;

namespace RabbitHa.Client;

/// <summary>
/// TLS options of the connection. TLS is on or off for every endpoint alike (the HAProxy endpoint and the fallbacks);
/// each endpoint's certificate is checked against its own server name.
/// </summary>
public sealed class RabbitHaTlsOptions
{
    /// <summary>Gets or sets a value indicating whether the connection uses TLS.</summary>
    /// <value>The default is <see langword="false"/>; an <c>amqps://</c> <see cref="RabbitHaOptions.Uri"/> turns it on.</value>
    public bool Enabled { get; set; }

    /// <summary>
    /// Gets or sets the name the server certificate must carry. Required with TLS unless an <c>amqps://</c>
    /// URI supplies it: behind HAProxy the host connected to is often not the name on the certificate.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    /// <remarks>It applies to the HAProxy endpoint only; see <see cref="FallbackServerName"/> for the fallbacks.</remarks>
    public string? ServerName { get; set; }

    /// <summary>
    /// Gets or sets the name the certificates of the <see cref="RabbitHaOptions.FallbackEndpoints"/> must carry, when
    /// it is not their host names: for instance when every node presents one certificate issued for the cluster's name.
    /// </summary>
    /// <value>
    /// The default is <see langword="null"/>: each fallback's certificate must carry that fallback's own host name (or
    /// address), as a node's certificate normally does.
    /// </value>
    public string? FallbackServerName { get; set; }

    /// <summary>
    /// Gets or sets the path of a PEM or DER file holding the certificate authorities the server certificates must chain to:
    /// a private CA, such as a test cluster's or a private deployment's.
    /// </summary>
    /// <value>
    /// The default is <see langword="null"/>: server certificates are checked against the operating system's trust store.
    /// </value>
    /// <remarks>
    /// When set, a server certificate is trusted only if its chain ends at one of the file's certificates, and the operating
    /// system's trust store is not consulted; the revocation check follows <see cref="CheckCertificateRevocation"/>. The name
    /// check is unchanged: a certificate issued for another name is refused unless <see cref="AcceptablePolicyErrors"/> allows
    /// it. The file is read when the connection is created, and validated at start-up: it must exist and hold at least one
    /// certificate (a PEM file may hold several, each in its own <c>BEGIN CERTIFICATE</c> block; other blocks are ignored).
    /// </remarks>
    public string? CaCertificatePath { get; set; }

    /// <summary>Gets or sets the path of a client certificate file, for certificate authentication.</summary>
    /// <value>The default is <see langword="null"/>: no client certificate.</value>
    public string? CertificatePath { get; set; }

    /// <summary>Gets or sets the passphrase of the client certificate. Redacted like a password.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? CertificatePassphrase { get; set; }

    /// <summary>Gets or sets the TLS versions allowed.</summary>
    /// <value>The default is <see cref="SslProtocols.None"/>: the operating system chooses.</value>
    public SslProtocols Protocols { get; set; } = SslProtocols.None;

    /// <summary>Gets or sets the certificate errors tolerated. Anything but <see cref="SslPolicyErrors.None"/> weakens TLS.</summary>
    /// <value>The default is <see cref="SslPolicyErrors.None"/>.</value>
    /// <remarks>
    /// It applies to every endpoint, the HAProxy endpoint and each fallback alike, and the main connection logs a warning
    /// naming the errors when it first connects. Accepting <see cref="SslPolicyErrors.RemoteCertificateNameMismatch"/>
    /// lets any trusted certificate through, whatever name it carries.
    /// </remarks>
    public SslPolicyErrors AcceptablePolicyErrors { get; set; } = SslPolicyErrors.None;

    /// <summary>Gets or sets a value indicating whether the server certificate's revocation is checked.</summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool CheckCertificateRevocation { get; set; }

    /// <summary>Describes the TLS options with the certificate passphrase redacted.</summary>
    /// <returns>A description safe to log.</returns>
    public override string ToString() =>
        $"{{ Enabled = {Enabled}, ServerName = {ServerName}, FallbackServerName = {FallbackServerName}, CaCertificatePath = {CaCertificatePath}, CertificatePath = {CertificatePath}, " +
        $"CertificatePassphrase = {(CertificatePassphrase is null ? "" : Redaction.Mask)}, Protocols = {Protocols}, " +
        $"AcceptablePolicyErrors = {AcceptablePolicyErrors}, CheckCertificateRevocation = {CheckCertificateRevocation} }}";
}
