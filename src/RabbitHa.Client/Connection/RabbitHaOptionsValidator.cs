using System.Globalization;
using Microsoft.Extensions.Options;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Configuration;

namespace RabbitHa.Client.Internal.Connection;

/// <summary>
/// Validates <see cref="RabbitHaOptions"/> when the host starts. Each failure names the option by its
/// configuration path and quotes the bad value (URIs with their credentials redacted, passwords never).
/// </summary>
/// <remarks>
/// Each range is the one the option's consumer accepts, so that a value that passes here never throws at first use:
/// RabbitMQ.Client's timeouts become <see cref="CancellationTokenSource"/> delays in whole milliseconds (a shorter one
/// would cancel at once), its heartbeat a 16-bit count of whole seconds; the start-up timeout configures Polly's
/// <c>TimeoutStrategyOptions.Timeout</c>, which takes 10 ms to 1 day; a backoff's longest delay must not be shorter than its first.
/// </remarks>
internal sealed class RabbitHaOptionsValidator : IValidateOptions<RabbitHaOptions>
{
    private static readonly TimeSpan s_minHeartbeat = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_maxHeartbeat = TimeSpan.FromSeconds(ushort.MaxValue);
    private static readonly TimeSpan s_minTimeout = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan s_maxTimeout = TimeSpan.FromDays(1);
    private static readonly TimeSpan s_minStartupTimeout = TimeSpan.FromMilliseconds(10);

    private static readonly string[] s_exchangeTypes = ["direct", "fanout", "topic", "headers"];

    private readonly string _path;

    /// <param name="sectionPath">The configuration path the options come from, used as the prefix of every message.</param>
    public RabbitHaOptionsValidator(string sectionPath = RabbitHaOptions.SectionName)
    {
        _path = string.IsNullOrEmpty(sectionPath) ? RabbitHaOptions.SectionName : sectionPath;
    }

    public ValidateOptionsResult Validate(string? name, RabbitHaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        // Named by where it came from: RabbitHa:Uri, or ConnectionStrings:<name> when a connection string set it.
        string uriPath = ConnectionStringSource.UriPath(options, _path);
        AmqpUri? uri = null;
        if (options.Uri is not null && !AmqpUri.TryParse(options.Uri, out uri, out string? problem))
        {
            failures.Add($"{uriPath} {problem} (was {Quote(Redaction.RedactConnectionString(options.Uri))}).");
        }

        // TLS is on for every endpoint or for none; an amqps:// URI turns it on as Tls:Enabled does.
        bool tls = options.Tls.Enabled || uri is { UseTls: true };
        ValidateEndpoint(options, tls, failures);
        ValidateCredentials(options, uri, uriPath, failures);
        ValidateTimeouts(options, failures);
        ValidateTls(options, uri, failures);
        ValidateStartup(options.Startup, failures);
        ValidateTopology(options.Topology, failures);

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private void ValidateEndpoint(RabbitHaOptions options, bool tls, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(options.Host))
        {
            failures.Add($"{_path}:Host is required (was {Quote(options.Host)}).");
        }
        else if (System.Uri.CheckHostName(options.Host) == UriHostNameType.Unknown)
        {
            failures.Add($"{_path}:Host must be a host name or an IP address (was {Quote(options.Host)}).");
        }

        if (options.Port is < 1 or > 65535)
        {
            failures.Add($"{_path}:Port must be between 1 and 65535 (was {options.Port.ToString(CultureInfo.InvariantCulture)}).");
        }

        for (int i = 0; i < options.FallbackEndpoints.Count; i++)
        {
            string? fallback = options.FallbackEndpoints[i];
            if (!FallbackEndpoint.TryParse(fallback, out _, out _, out bool? fallbackTls))
            {
                failures.Add($"{_path}:FallbackEndpoints:{i} {FallbackEndpoint.Expected} (was {Quote(Redaction.RedactUri(fallback))}).");
            }
            else if (fallbackTls is { } asked && asked != tls)
            {
                // Rejected rather than obeyed or ignored: a fallback that alone speaks (or drops) TLS would need
                // TLS settings of its own, and ignoring the scheme would connect differently from what it says.
                string scheme = asked ? AmqpUri.AmqpsScheme : AmqpUri.AmqpScheme;
                string mainSetting = tls ? "uses TLS" : "does not use TLS";
                failures.Add($"{_path}:FallbackEndpoints:{i} must not use {scheme}:// when the main endpoint {mainSetting}: " +
                    $"every endpoint shares the main endpoint's TLS setting; leave the scheme out (was {Quote(Redaction.RedactUri(fallback))}).");
            }
        }

        if (string.IsNullOrEmpty(options.VirtualHost))
        {
            failures.Add($"{_path}:VirtualHost is required (was {Quote(options.VirtualHost)}).");
        }
    }

    private void ValidateCredentials(RabbitHaOptions options, AmqpUri? uri, string uriPath, List<string> failures)
    {
        // 'amqp://:pw@host' names an empty user, which would take precedence over UserName and be refused by the broker.
        if (uri is { UserName.Length: 0 })
        {
            failures.Add($"{uriPath} must not have an empty user name; leave the user information out to use {_path}:UserName " +
                $"(was {Quote(Redaction.RedactUri(options.Uri))}).");
        }
        else if (string.IsNullOrEmpty(uri?.UserName) && string.IsNullOrEmpty(options.UserName))
        {
            failures.Add($"{_path}:UserName is required (was {Quote(options.UserName)}).");
        }

        // The password's value is never quoted, not even when it is merely of the wrong shape.
        if (uri?.Password is null && options.Password is null)
        {
            failures.Add($"{_path}:Password is required.");
        }
    }

    private void ValidateTimeouts(RabbitHaOptions options, List<string> failures)
    {
        // RabbitMQ.Client sends the heartbeat as whole seconds, dropping any fraction: 0.5 s would become zero, which
        // asks for the broker's value instead.
        TimeSpan heartbeat = options.Heartbeat;
        if (heartbeat != TimeSpan.Zero
            && (heartbeat < s_minHeartbeat || heartbeat > s_maxHeartbeat || heartbeat.Ticks % TimeSpan.TicksPerSecond != 0))
        {
            failures.Add($"{_path}:Heartbeat must be zero (the broker's value) or whole seconds between {s_minHeartbeat} and {s_maxHeartbeat} (was {heartbeat}).");
        }

        RequireTimeout(options.ConnectionTimeout, "ConnectionTimeout", failures);
        RequireTimeout(options.HandshakeTimeout, "HandshakeTimeout", failures);
        RequireTimeout(options.ContinuationTimeout, "ContinuationTimeout", failures);
        ValidateRecovery(options.Recovery, failures);
    }

    private void ValidateRecovery(RabbitHaRecoveryOptions recovery, List<string> failures)
    {
        if (recovery.FirstAttemptDelay < TimeSpan.Zero || recovery.FirstAttemptDelay > s_maxTimeout)
        {
            failures.Add($"{_path}:Recovery:FirstAttemptDelay must be between {TimeSpan.Zero} and {s_maxTimeout} (was {recovery.FirstAttemptDelay}).");
        }

        // Zero would retry a cluster that refuses connections in a tight loop, from every client at once.
        RequireTimeout(recovery.RetryDelay, "Recovery:RetryDelay", failures);
        if (recovery.MaxRetryDelay < recovery.RetryDelay || recovery.MaxRetryDelay > s_maxTimeout)
        {
            failures.Add($"{_path}:Recovery:MaxRetryDelay must be between {_path}:Recovery:RetryDelay ({recovery.RetryDelay}) and {s_maxTimeout} (was {recovery.MaxRetryDelay}).");
        }

        // Below a second, a recovery that is only slow (a handshake on a loaded node) would be thrown away and begun again.
        if (recovery.AttemptTimeout < TimeSpan.FromSeconds(1) || recovery.AttemptTimeout > s_maxTimeout)
        {
            failures.Add($"{_path}:Recovery:AttemptTimeout must be between {TimeSpan.FromSeconds(1)} and {s_maxTimeout} (was {recovery.AttemptTimeout}).");
        }
    }

    private void ValidateTls(RabbitHaOptions options, AmqpUri? uri, List<string> failures)
    {
        RabbitHaTlsOptions tls = options.Tls;
        // An amqps:// URI supplies its host as the server name; plain TLS options must name it.
        bool uriGivesServerName = uri is { UseTls: true };
        if (tls.Enabled && !uriGivesServerName && string.IsNullOrWhiteSpace(tls.ServerName))
        {
            failures.Add($"{_path}:Tls:ServerName is required when {_path}:Tls:Enabled is true (was {Quote(tls.ServerName)}).");
        }

        if (tls.CertificatePath is not null && !File.Exists(tls.CertificatePath))
        {
            failures.Add($"{_path}:Tls:CertificatePath must name an existing file (was {Quote(tls.CertificatePath)}).");
        }

        // Blank is unset, as configuration binds an empty value. Read here as the connection will read it, so that a file that
        // is not a certificate stops the host instead of failing every handshake.
        if (!string.IsNullOrWhiteSpace(tls.CaCertificatePath))
        {
            if (!File.Exists(tls.CaCertificatePath))
            {
                failures.Add($"{_path}:{CertificateAuthorities.Option} must name an existing file (was {Quote(tls.CaCertificatePath)}).");
            }
            else if (!CertificateAuthorities.TryLoad(tls.CaCertificatePath, out _, out string? problem))
            {
                failures.Add($"{_path}:{CertificateAuthorities.Option} must name a PEM or DER file holding at least one certificate; " +
                    $"{problem} (was {Quote(tls.CaCertificatePath)}).");
            }
        }
    }

    private void ValidateStartup(RabbitHaStartupOptions startup, List<string> failures)
    {
        if (startup.Timeout < s_minStartupTimeout || startup.Timeout > s_maxTimeout)
        {
            failures.Add($"{_path}:Startup:Timeout must be between {s_minStartupTimeout} and {s_maxTimeout} (was {startup.Timeout}).");
        }

        // The backoff would take zero, but a zero delay retries in a tight loop against a cluster that is still coming up.
        RequireTimeout(startup.RetryDelay, "Startup:RetryDelay", failures);
        if (startup.MaxRetryDelay < startup.RetryDelay || startup.MaxRetryDelay > s_maxTimeout)
        {
            failures.Add($"{_path}:Startup:MaxRetryDelay must be between {_path}:Startup:RetryDelay ({startup.RetryDelay}) and {s_maxTimeout} (was {startup.MaxRetryDelay}).");
        }
    }

    private void ValidateTopology(RabbitHaTopologyOptions topology, List<string> failures)
    {
        for (int i = 0; i < topology.Exchanges.Count; i++)
        {
            RabbitHaExchangeDefinition exchange = topology.Exchanges[i];
            string path = $"{_path}:Topology:Exchanges:{i}";
            RequireDeclarableName(exchange.Name, path, failures);
            if (!s_exchangeTypes.Contains(exchange.Type, StringComparer.Ordinal)
                && exchange.Type?.StartsWith("x-", StringComparison.Ordinal) != true)
            {
                failures.Add($"{path}:Type must be direct, fanout, topic, headers or a plugin's x- type (was {Quote(exchange.Type)}).");
            }
        }

        for (int i = 0; i < topology.Queues.Count; i++)
        {
            RabbitHaQueueDefinition queue = topology.Queues[i];
            string path = $"{_path}:Topology:Queues:{i}";
            RequireDeclarableName(queue.Name, path, failures);
            if (!Enum.IsDefined(queue.Type))
            {
                failures.Add($"{path}:Type must be Classic or Quorum (was {Quote(queue.Type.ToString())}).");
            }

            if (queue.Type == RabbitHaQueueType.Quorum)
            {
                if (!queue.Durable)
                {
                    failures.Add($"{path}:Durable must be true for a quorum queue (was false).");
                }

                if (queue.Exclusive)
                {
                    failures.Add($"{path}:Exclusive must be false for a quorum queue (was true).");
                }

                if (queue.AutoDelete)
                {
                    failures.Add($"{path}:AutoDelete must be false for a quorum queue (was true).");
                }
            }

            if (queue.MessageTtl is { } ttl && (ttl < TimeSpan.Zero || ttl.Ticks % TimeSpan.TicksPerMillisecond != 0))
            {
                failures.Add($"{path}:MessageTtl must be zero or more whole milliseconds (was {ttl}).");
            }

            if (queue.MaxLength is < 0)
            {
                failures.Add($"{path}:MaxLength must be zero or more (was {queue.MaxLength.Value.ToString(CultureInfo.InvariantCulture)}).");
            }
        }

        for (int i = 0; i < topology.Bindings.Count; i++)
        {
            RabbitHaBindingDefinition binding = topology.Bindings[i];
            string path = $"{_path}:Topology:Bindings:{i}";
            if (string.IsNullOrEmpty(binding.Exchange))
            {
                failures.Add($"{path}:Exchange is required; the default exchange cannot be bound (was {Quote(binding.Exchange)}).");
            }

            if (string.IsNullOrEmpty(binding.Queue))
            {
                failures.Add($"{path}:Queue is required (was {Quote(binding.Queue)}).");
            }

            if (binding.RoutingKey is null)
            {
                failures.Add($"{path}:RoutingKey must not be null; use an empty string for none.");
            }
        }
    }

    private static void RequireDeclarableName(string? name, string path, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            failures.Add($"{path}:Name is required (was {Quote(name)}).");
        }
        else if (name.StartsWith("amq.", StringComparison.Ordinal))
        {
            failures.Add($"{path}:Name must not start with 'amq.', which the broker reserves (was {Quote(name)}).");
        }
    }

    private void RequireTimeout(TimeSpan value, string option, List<string> failures)
    {
        if (value < s_minTimeout || value > s_maxTimeout)
        {
            failures.Add($"{_path}:{option} must be between {s_minTimeout} and {s_maxTimeout} (was {value}).");
        }
    }

    private static string Quote(string? value) => value is null ? "null" : $"'{value}'";
}
