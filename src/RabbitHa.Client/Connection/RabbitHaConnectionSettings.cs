using RabbitMQ.Client;

namespace RabbitHa.Client;

/// <summary>
/// What the options mean once the URI, the host/port and the fallbacks are put together: the endpoints in
/// the order they are tried and the RabbitMQ.Client factory that connects to them.
/// </summary>
internal sealed class RabbitHaConnectionSettings
{
    private const int DefaultPort = 5672;
    private const int DefaultTlsPort = AmqpTcpEndpoint.DefaultAmqpSslPort;

    private RabbitHaConnectionSettings(
        IReadOnlyList<AmqpTcpEndpoint> endpoints, bool useTls, string virtualHost, string userName, string password, string clientProvidedName)
    {
        Endpoints = endpoints;
        UseTls = useTls;
        VirtualHost = virtualHost;
        UserName = userName;
        Password = password;
        ClientProvidedName = clientProvidedName;
    }

    /// <summary>Gets the HAProxy endpoint followed by the fallbacks, in the order given.</summary>
    public IReadOnlyList<AmqpTcpEndpoint> Endpoints { get; }

    /// <summary>Gets a value indicating whether every endpoint is reached over TLS.</summary>
    public bool UseTls { get; }

    public string VirtualHost { get; }

    public string UserName { get; }

    public string Password { get; }

    public string ClientProvidedName { get; }

    /// <summary>Gets the endpoints as text, for logs and messages; <see cref="AmqpTcpEndpoint.ToString"/> carries no credentials.</summary>
    public string EndpointList => string.Join(", ", Endpoints);

    /// <summary>Builds the settings from options that passed <see cref="RabbitHaOptionsValidator"/>.</summary>
    /// <exception cref="InvalidOperationException">The options are invalid; validation at start-up reports why.</exception>
    public static RabbitHaConnectionSettings FromOptions(RabbitHaOptions options)
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
            serverName ??= uri.UseTls ? uri.Host : null;
        }

        int defaultPort = tls ? DefaultTlsPort : DefaultPort;
        var endpoints = new List<AmqpTcpEndpoint> { new(host, port ?? defaultPort, CreateSslOption(options.Tls, tls, serverName)) };

        // A fallback is a node, not the proxy: its certificate names the node, so by default it is checked against its
        // own host name. The proxy's name would fail every fallback over TLS unless name mismatches were accepted, and
        // RabbitMQ.Client would then accept a certificate for any name on every endpoint, the proxy included.
        string? fallbackServerName = NullIfBlank(options.Tls.FallbackServerName);
        foreach (string fallback in options.FallbackEndpoints)
        {
            if (!FallbackEndpoint.TryParse(fallback, out string? fallbackHost, out int? fallbackPort, out bool? fallbackTls)
                || (fallbackTls is { } asked && asked != tls))
            {
                throw new InvalidOperationException(
                    $"{RabbitHaOptions.SectionName}:FallbackEndpoints {FallbackEndpoint.Expected}, in the main endpoint's scheme " +
                    $"(was '{Redaction.RedactUri(fallback)}').");
            }

            endpoints.Add(new AmqpTcpEndpoint(fallbackHost, fallbackPort ?? defaultPort,
                CreateSslOption(options.Tls, tls, fallbackServerName ?? fallbackHost)));
        }

        string clientProvidedName = string.IsNullOrWhiteSpace(options.ClientProvidedName)
            ? AppDomain.CurrentDomain.FriendlyName
            : options.ClientProvidedName;
        return new RabbitHaConnectionSettings(endpoints, tls, virtualHost, userName, password, clientProvidedName);
    }

    /// <summary>
    /// Creates the RabbitMQ.Client factory: automatic connection and topology recovery on, consumers left
    /// out of topology recovery (RabbitHa's subscription supervisor is the one thing that resubscribes, so a
    /// consumer is never subscribed twice), and the heartbeat, timeouts and recovery interval from options.
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
            NetworkRecoveryInterval = options.Recovery.NetworkRecoveryInterval,
        };
        if (topologyRecoveryExceptionHandler is not null)
        {
            factory.TopologyRecoveryExceptionHandler = topologyRecoveryExceptionHandler;
        }

        return factory;
    }

    /// <summary>A new <see cref="SslOption"/> per endpoint: each carries the server name its certificate is checked against.</summary>
    private static SslOption CreateSslOption(RabbitHaTlsOptions tls, bool enabled, string? serverName)
    {
        if (!enabled)
        {
            return new SslOption();
        }

        return new SslOption(serverName ?? string.Empty, tls.CertificatePath ?? string.Empty, enabled: true)
        {
            CertPassphrase = tls.CertificatePassphrase,
            Version = tls.Protocols,
            AcceptablePolicyErrors = tls.AcceptablePolicyErrors,
            CheckCertificateRevocation = tls.CheckCertificateRevocation,
        };
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
