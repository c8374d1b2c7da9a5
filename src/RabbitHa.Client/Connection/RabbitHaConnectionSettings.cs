using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Topology;
using RabbitMQ.Client;

namespace RabbitHa.Client.Internal.Connection;

/// <summary>
/// What the options mean once the URI, the host/port and the fallbacks are put together: the endpoints in
/// the order they are tried and the RabbitMQ.Client factory that connects to them.
/// </summary>
internal sealed class RabbitHaConnectionSettings
{
    private const int DefaultPort = 5672;
    private const int DefaultTlsPort = AmqpTcpEndpoint.DefaultAmqpSslPort;

    private RabbitHaConnectionSettings(
        IReadOnlyList<AmqpTcpEndpoint> endpoints,
        IReadOnlyList<ServerCertificateValidator> certificateValidators,
        bool useTls,
        string virtualHost,
        string userName,
        string password,
        string clientProvidedName)
    {
        Endpoints = endpoints;
        CertificateValidators = certificateValidators;
        UseTls = useTls;
        VirtualHost = virtualHost;
        UserName = userName;
        Password = password;
        ClientProvidedName = clientProvidedName;
    }

    /// <summary>Gets the HAProxy endpoint followed by the fallbacks, in the order given.</summary>
    public IReadOnlyList<AmqpTcpEndpoint> Endpoints { get; }

    /// <summary>
    /// Gets what checks each endpoint's server certificate, in the order of <see cref="Endpoints"/>; empty without TLS.
    /// Each is its endpoint's <see cref="SslOption.CertificateValidationCallback"/>.
    /// </summary>
    public IReadOnlyList<ServerCertificateValidator> CertificateValidators { get; }

    /// <summary>Gets why TLS refused the certificates of endpoints tried since <see cref="ForgetCertificateRefusals"/>, one per endpoint.</summary>
    public IReadOnlyList<CertificateRefusal> CertificateRefusals =>
        [.. CertificateValidators.Select(static v => v.LastRefusal).OfType<CertificateRefusal>()];

    /// <summary>Gets a value indicating whether every endpoint is reached over TLS.</summary>
    public bool UseTls { get; }

    public string VirtualHost { get; }

    public string UserName { get; }

    public string Password { get; }

    public string ClientProvidedName { get; }

    /// <summary>Gets the endpoints as text, for logs and messages; <see cref="AmqpTcpEndpoint.ToString"/> carries no credentials.</summary>
    public string EndpointList => string.Join(", ", Endpoints);

    /// <summary>Forgets the refusals seen so far: a new start-up attempt begins.</summary>
    public void ForgetCertificateRefusals()
    {
        foreach (ServerCertificateValidator validator in CertificateValidators)
        {
            validator.ForgetRefusal();
        }
    }

    /// <summary>Builds the settings from options that passed <see cref="RabbitHaOptionsValidator"/>.</summary>
    /// <param name="options">The validated options.</param>
    /// <param name="onCertificateRefused">
    /// Told when TLS refuses an endpoint's server certificate, once per endpoint and problem (see <see cref="ServerCertificateValidator"/>).
    /// </param>
    /// <exception cref="InvalidOperationException">The options are invalid; validation at start-up reports why.</exception>
    public static RabbitHaConnectionSettings FromOptions(RabbitHaOptions options, Action<CertificateRefusal>? onCertificateRefused = null)
    {
        ArgumentNullException.ThrowIfNull(options);

        string host = options.Host;
        int? port = options.Port;
        string virtualHost = options.VirtualHost;
        string userName = options.UserName;
        string password = options.Password;
        bool tls = options.Tls.Enabled;

        // Blank is unset, as configuration binds an empty value: an empty server name would fail every certificate.
        string? serverName = NullIfBlank(options.Tls.ServerName);
        string serverNameSource = "Tls:ServerName";

        if (options.Uri is not null)
        {
            if (!AmqpUri.TryParse(options.Uri, out AmqpUri? uri, out string? problem))
            {
                throw new InvalidOperationException($"{RabbitHaOptions.SectionName}:Uri {problem} (was '{Redaction.RedactUri(options.Uri)}').");
            }

            if (uri.UserName is { Length: 0 })
            {
                throw new InvalidOperationException(
                    $"{RabbitHaOptions.SectionName}:Uri must not have an empty user name (was '{Redaction.RedactUri(options.Uri)}').");
            }

            host = uri.Host;
            port = uri.Port;
            virtualHost = uri.VirtualHost ?? virtualHost;
            userName = uri.UserName ?? userName;
            password = uri.Password ?? password;
            tls |= uri.UseTls;
            if (serverName is null && uri.UseTls)
            {
                serverName = uri.Host;
                serverNameSource = "the host of Uri";
            }
        }

        // Read once here, for every handshake of this connection: never per handshake.
        CertificateAuthorities? authorities = tls && NullIfBlank(options.Tls.CaCertificatePath) is { } caPath
            ? CertificateAuthorities.Load(caPath)
            : null;
        var validators = new List<ServerCertificateValidator>();
        AmqpTcpEndpoint Endpoint(string endpointHost, int endpointPort, string? endpointServerName, string endpointServerNameSource)
        {
            if (!tls)
            {
                return new AmqpTcpEndpoint(endpointHost, endpointPort, new SslOption());
            }

            var validator = new ServerCertificateValidator(
                FormatEndpoint(endpointHost, endpointPort), endpointServerName ?? string.Empty, endpointServerNameSource,
                options.Tls.AcceptablePolicyErrors, options.Tls.CheckCertificateRevocation, authorities, onCertificateRefused);
            validators.Add(validator);
            return new AmqpTcpEndpoint(endpointHost, endpointPort, CreateSslOption(options.Tls, endpointServerName, validator));
        }

        int defaultPort = tls ? DefaultTlsPort : DefaultPort;
        var endpoints = new List<AmqpTcpEndpoint> { Endpoint(host, port ?? defaultPort, serverName, serverNameSource) };

        // A fallback is a node, not the proxy: its certificate names the node, so by default it is checked against its
        // own host name. The proxy's name would fail every fallback over TLS unless name mismatches were accepted, and
        // RabbitMQ.Client would then accept a certificate for any name on every endpoint, the proxy included.
        string? fallbackServerName = NullIfBlank(options.Tls.FallbackServerName);
        for (int i = 0; i < options.FallbackEndpoints.Count; i++)
        {
            string fallback = options.FallbackEndpoints[i];
            if (!FallbackEndpoint.TryParse(fallback, out string? fallbackHost, out int? fallbackPort, out bool? fallbackTls)
                || (fallbackTls is { } asked && asked != tls))
            {
                throw new InvalidOperationException(
                    $"{RabbitHaOptions.SectionName}:FallbackEndpoints {FallbackEndpoint.Expected}, in the main endpoint's scheme " +
                    $"(was '{Redaction.RedactUri(fallback)}').");
            }

            endpoints.Add(fallbackServerName is null
                ? Endpoint(fallbackHost, fallbackPort ?? defaultPort, fallbackHost, $"the host of FallbackEndpoints:{i}")
                : Endpoint(fallbackHost, fallbackPort ?? defaultPort, fallbackServerName, "Tls:FallbackServerName"));
        }

        string clientProvidedName = string.IsNullOrWhiteSpace(options.ClientProvidedName)
            ? AppDomain.CurrentDomain.FriendlyName
            : options.ClientProvidedName;
        return new RabbitHaConnectionSettings(endpoints, validators, tls, virtualHost, userName, password, clientProvidedName);
    }

    /// <summary>
    /// Creates the RabbitMQ.Client factory: automatic connection and topology recovery on, consumers left
    /// out of topology recovery (RabbitHa's subscription supervisor is the one thing that resubscribes, so a
    /// consumer is never subscribed twice), and the heartbeat, timeouts and the delay of the first recovery attempt from options.
    /// </summary>
    /// <param name="options">The validated options.</param>
    /// <param name="topologyRecoveryExceptionHandler">
    /// What topology recovery does with a failure to re-declare an entity (see <see cref="TopologyRecoveryRefusalHandler"/>);
    /// RabbitMQ.Client's default (abort and retry the whole recovery) when <see langword="null"/>.
    /// </param>
    public ConnectionFactory CreateFactory(RabbitHaOptions options, TopologyRecoveryExceptionHandler? topologyRecoveryExceptionHandler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var factory = new ConnectionFactory
        {
            VirtualHost = VirtualHost,
            UserName = UserName,
            Password = Password,
            ClientProvidedName = ClientProvidedName,
            RequestedHeartbeat = options.Heartbeat,
            RequestedConnectionTimeout = options.ConnectionTimeout,
            HandshakeContinuationTimeout = options.HandshakeTimeout,
            ContinuationTimeout = options.ContinuationTimeout,
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            TopologyRecoveryFilter = new TopologyRecoveryFilter { ConsumerFilter = static _ => false },
            // Before every attempt; RabbitHa adds a jittered backoff after each failed one (RabbitHaConnection.OnRecoveryErrorAsync).
            NetworkRecoveryInterval = options.Recovery.FirstAttemptDelay,
        };
        if (topologyRecoveryExceptionHandler is not null)
        {
            factory.TopologyRecoveryExceptionHandler = topologyRecoveryExceptionHandler;
        }

        return factory;
    }

    /// <summary>
    /// A new <see cref="SslOption"/> per endpoint: each carries the server name its certificate is checked against, and the
    /// validator that checks it (RabbitMQ.Client hands the callback to SslStream in place of its own).
    /// </summary>
    private static SslOption CreateSslOption(RabbitHaTlsOptions tls, string? serverName, ServerCertificateValidator validator) =>
        new(serverName ?? string.Empty, tls.CertificatePath ?? string.Empty, enabled: true)
        {
            CertPassphrase = tls.CertificatePassphrase,
            Version = tls.Protocols,
            CheckCertificateRevocation = tls.CheckCertificateRevocation,

            // Read by RabbitMQ.Client's own callback only, which the validator replaces; kept for whoever inspects the endpoint.
            AcceptablePolicyErrors = tls.AcceptablePolicyErrors,
            CertificateValidationCallback = validator.Validate,
        };

    /// <summary><c>host:port</c>, an IPv6 address in brackets: never credentials.</summary>
    private static string FormatEndpoint(string host, int port) =>
        host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[')
            ? $"[{host}]:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}"
            : $"{host}:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
