using System.Globalization;
using Microsoft.Extensions.Options;

namespace RabbitHa.Client;

/// <summary>
/// Validates <see cref="RabbitHaOptions"/> when the host starts. Each failure names the option by its
/// configuration path and quotes the bad value (URIs with their credentials redacted, passwords never).
/// </summary>
internal sealed class RabbitHaOptionsValidator : IValidateOptions<RabbitHaOptions>
{
    private static readonly TimeSpan s_maxHeartbeat = TimeSpan.FromSeconds(ushort.MaxValue);
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

        AmqpUri? uri = null;
        if (options.Uri is not null && !AmqpUri.TryParse(options.Uri, out uri, out string? problem))
        {
            failures.Add($"{_path}:Uri {problem} (was {Quote(Redaction.RedactUri(options.Uri))}).");
        }

        ValidateEndpoint(options, failures);
        ValidateCredentials(options, uri, failures);
        ValidateTimeouts(options, failures);
        ValidateTls(options, uri, failures);
        ValidateStartup(options.Startup, failures);
        ValidateTopology(options.Topology, failures);

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private void ValidateEndpoint(RabbitHaOptions options, List<string> failures)
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
            if (!FallbackEndpoint.TryParse(fallback, out _, out _))
            {
                failures.Add($"{_path}:FallbackEndpoints:{i} {FallbackEndpoint.Expected} (was {Quote(Redaction.RedactUri(fallback))}).");
            }
        }

        if (string.IsNullOrEmpty(options.VirtualHost))
        {
            failures.Add($"{_path}:VirtualHost is required (was {Quote(options.VirtualHost)}).");
        }
    }

    private void ValidateCredentials(RabbitHaOptions options, AmqpUri? uri, List<string> failures)
    {
        if (string.IsNullOrEmpty(uri?.UserName) && string.IsNullOrEmpty(options.UserName))
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
        TimeSpan heartbeat = options.Heartbeat;
        if (heartbeat != TimeSpan.Zero && (heartbeat < TimeSpan.FromSeconds(1) || heartbeat > s_maxHeartbeat))
        {
            failures.Add($"{_path}:Heartbeat must be zero (disabled) or between {TimeSpan.FromSeconds(1)} and {s_maxHeartbeat} (was {heartbeat}).");
        }

        RequirePositive(options.ConnectionTimeout, "ConnectionTimeout", failures);
        RequirePositive(options.HandshakeTimeout, "HandshakeTimeout", failures);
        RequirePositive(options.ContinuationTimeout, "ContinuationTimeout", failures);
        RequirePositive(options.Recovery.NetworkRecoveryInterval, "Recovery:NetworkRecoveryInterval", failures);
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
    }

    private void ValidateStartup(RabbitHaStartupOptions startup, List<string> failures)
    {
        if (startup.Timeout < s_minStartupTimeout || startup.Timeout > s_maxTimeout)
        {
            failures.Add($"{_path}:Startup:Timeout must be between {s_minStartupTimeout} and {s_maxTimeout} (was {startup.Timeout}).");
        }

        RequirePositive(startup.InitialDelay, "Startup:InitialDelay", failures);
        if (startup.MaxDelay < startup.InitialDelay || startup.MaxDelay > s_maxTimeout)
        {
            failures.Add($"{_path}:Startup:MaxDelay must be between {_path}:Startup:InitialDelay ({startup.InitialDelay}) and {s_maxTimeout} (was {startup.MaxDelay}).");
        }
    }

    private void ValidateTopology(RabbitHaTopologyOptions topology, List<string> failures)
    {
        for (int i = 0; i < topology.Exchanges.Count; i++)
        {
            ExchangeDefinition exchange = topology.Exchanges[i];
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
            QueueDefinition queue = topology.Queues[i];
            string path = $"{_path}:Topology:Queues:{i}";
            RequireDeclarableName(queue.Name, path, failures);
            if (!Enum.IsDefined(queue.Type))
            {
                failures.Add($"{path}:Type must be Classic or Quorum (was {Quote(queue.Type.ToString())}).");
            }

            if (queue.Type == QueueType.Quorum)
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
            BindingDefinition binding = topology.Bindings[i];
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

    private void RequirePositive(TimeSpan value, string option, List<string> failures)
    {
        if (value <= TimeSpan.Zero || value > s_maxTimeout)
        {
            failures.Add($"{_path}:{option} must be greater than zero and at most {s_maxTimeout} (was {value}).");
        }
    }

    private static string Quote(string? value) => value is null ? "null" : $"'{value}'";
}
