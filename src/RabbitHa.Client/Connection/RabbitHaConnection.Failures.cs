using Polly.Timeout;
using RabbitHa.Client.Internal.Resilience;

namespace RabbitHa.Client.Internal.Connection;

// A start-up failure is thrown, not logged, so its message is all the operator gets: it says what to fix, in words.
internal sealed partial class RabbitHaConnection
{
    private RabbitHaConnectionException DescribeFailure(Exception exception, StartupAttempts attempts)
    {
        if (exception is TimeoutRejectedException)
        {
            Exception? last = attempts.LastError;

            // An endpoint whose certificate is refused while another one is reachable (a proxy presenting the wrong name, a
            // node that is down) does not stop the retry; the message still says what was wrong with it.
            IReadOnlyList<CertificateRefusal> lastRefusals = attempts.LastCertificateRefusals;
            return new RabbitHaConnectionException(
                $"Could not connect '{ClientProvidedName}' to RabbitMQ at {_settings.EndpointList} within {_options.Startup.Timeout} " +
                $"({attempts.Count + 1} attempt(s)); last error: {(last is null ? "none, the first attempt did not finish" : FailureClassification.DescribeCauses(last))}." +
                (lastRefusals.Count > 0 ? $" In that attempt, {DescribeRefusals(lastRefusals)}." : string.Empty),
                last ?? exception);
        }

        if (FailureClassification.IsAuthenticationFailure(exception))
        {
            return new RabbitHaConnectionException(
                $"RabbitMQ at {_settings.EndpointList} refused the credentials of user '{_settings.UserName}' for virtual host " +
                $"'{_settings.VirtualHost}' ({FailureClassification.DescribeCauses(exception)}). Check the RabbitHa UserName and Password " +
                "options; authentication failures are not retried.",
                exception);
        }

        IReadOnlyList<CertificateRefusal> refusals = _settings.CertificateRefusals;
        if (refusals.Count > 0 && FailureClassification.IsTlsFailure(exception))
        {
            // SslStream only says that the callback rejected the certificate; the refusals say why, endpoint by endpoint.
            return new RabbitHaConnectionException(
                $"Could not connect '{ClientProvidedName}' to RabbitMQ at {_settings.EndpointList}: {DescribeRefusals(refusals)}. " +
                $"Certificate failures are not retried ({FailureClassification.DescribeCauses(exception)}).",
                exception);
        }

        // A refused endpoint and another that failed for good (a missing virtual host on a fallback): both are worth knowing.
        return new RabbitHaConnectionException(
            $"Could not connect '{ClientProvidedName}' to RabbitMQ at {_settings.EndpointList} (virtual host '{_settings.VirtualHost}'): " +
            $"{FailureClassification.DescribeCauses(exception)}. This failure is not transient and was not retried." +
            (refusals.Count > 0 ? $" Also, {DescribeRefusals(refusals)}." : string.Empty),
            exception);
    }

    private static string DescribeRefusals(IReadOnlyList<CertificateRefusal> refusals) =>
        $"TLS refused the server certificate of {string.Join("; and of ", refusals.Select(static r => r.ToString()).Distinct(StringComparer.Ordinal))}";
}
