namespace RabbitHa.Client.Internal.Connection;

/// <summary>
/// Why TLS refused one endpoint's server certificate, in words: what the start-up failure says and what is logged, once,
/// as a warning. It names the endpoint, never credentials; the certificate's names and dates are public.
/// </summary>
/// <param name="Endpoint">The endpoint as <c>host:port</c>.</param>
/// <param name="ServerName">The name the certificate was checked against.</param>
/// <param name="ServerNameSource">The option that sets that name, such as <c>Tls:ServerName</c> or <c>the host of Uri</c>.</param>
/// <param name="Problem">What is wrong with the certificate, such as the CA its chain ends at or the names it is issued for.</param>
internal sealed record CertificateRefusal(string Endpoint, string ServerName, string ServerNameSource, string Problem)
{
    /// <summary>Describes the refusal as one clause: <c>host:port (server name 'x', from Tls:ServerName): problem</c>.</summary>
    public override string ToString() => $"{Endpoint} (server name '{ServerName}', from {ServerNameSource}): {Problem}";
}
