using System.Net.Security;
using RabbitHa.Client.Internal.Diagnostics;

namespace RabbitHa.Client.Internal.Connection;

// TLS problems are logged once (per connection or per endpoint), because RabbitMQ.Client retries them again and again.
internal sealed partial class RabbitHaConnection
{
    /// <summary>
    /// Says once, on the main connection (the first to connect, and the publishing one shares its options), that
    /// certificate errors are accepted: RabbitMQ.Client applies them to every endpoint, the proxy and each fallback.
    /// </summary>
    private void WarnOfAcceptedCertificateErrors()
    {
        SslPolicyErrors accepted = _options.Tls.AcceptablePolicyErrors;
        if (_purpose != ConnectionPurpose.Main || !_settings.UseTls || accepted == SslPolicyErrors.None
            || Interlocked.Exchange(ref _certificateWarningLogged, 1) != 0)
        {
            return;
        }

        _logger.CertificateErrorsAccepted(ClientProvidedName, accepted, _settings.EndpointList);
    }

    /// <summary>
    /// Logs a refused server certificate, once per endpoint and problem: during a recovery RabbitMQ.Client tries again and
    /// again (<see cref="RabbitHaRecoveryOptions.RetryDelay"/>), and the same refusal each time would bury the log.
    /// </summary>
    private void ReportCertificateRefusal(CertificateRefusal refusal) =>
        _logger.CertificateRefused(ClientProvidedName, refusal.Endpoint, refusal.ServerName, refusal.ServerNameSource, refusal.Problem);
}
