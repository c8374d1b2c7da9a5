using System.Text;
using System.Text.Json;

namespace RabbitHa.Testing;

/// <summary>
/// The configuration files of docker/, embedded at build time, so that every backend runs the same
/// cluster as the hand-run deployment.
/// </summary>
internal static class ClusterResources
{
    public const string UserPlaceholder = "@RABBITHA_USER@";
    public const string PasswordPlaceholder = "@RABBITHA_PASSWORD@";
    public const string ProxyStatsUserVariable = "RABBITHA_STATS_USER";
    public const string ProxyStatsPasswordVariable = "RABBITHA_STATS_PASSWORD";
    public const string ProxyStatsPath = "/rabbit";
    public const int NodeCount = 3;
    public const int AmqpPort = 5672;
    public const int ManagementPort = 15672;
    public const int ProxyStatsPort = 8100;
    public const int AmqpsPort = 5671;

    /// <summary>Set on the HAProxy container of a TLS cluster: haproxy.cfg's TLS section is inside <c>.if defined(RABBITHA_TLS)</c>.</summary>
    public const string ProxyTlsVariable = "RABBITHA_TLS";

    /// <summary>The backend of haproxy.cfg's TLS section.</summary>
    public const string ProxyTlsBackend = "rabbitmq-tls";

    /// <summary>Where a node of a TLS cluster finds its CA certificate, certificate and key: the paths docker/rabbitmq/tls.conf names.</summary>
    public const string TlsCaCertificateFile = "/etc/rabbitmq/tls/ca.pem";
    public const string TlsCertificateFile = "/etc/rabbitmq/tls/node.pem";
    public const string TlsKeyFile = "/etc/rabbitmq/tls/node.key";

    public static byte[] RabbitMqConf => Read("rabbitmq.conf");

    /// <summary>The TLS listener and its certificate files, appended to rabbitmq.conf for a TLS cluster.</summary>
    public static byte[] TlsConf => Read("tls.conf");

    /// <summary>
    /// The rabbitmq.conf a node runs: docker/'s as it is, and for a TLS cluster with docker/rabbitmq/tls.conf after it.
    /// A node reads one rabbitmq.conf, and the snippet stays in docker/ beside it, in the same syntax, where whoever reads
    /// the broker's configuration finds it; the fixture only joins the two.
    /// </summary>
    public static byte[] NodeRabbitMqConf(bool tls)
    {
        if (!tls)
        {
            return RabbitMqConf;
        }

        // A line break between the two: a last line of rabbitmq.conf without its own cannot run into the snippet.
        return [.. RabbitMqConf, (byte)'\n', .. TlsConf];
    }

    public static byte[] AdvancedConfig => Read("advanced.config");

    public static byte[] EnabledPlugins => Read("enabled_plugins");

    /// <summary>
    /// The definitions of the profile's RabbitMQ line with the cluster's user filled in. The files are templates shared
    /// with docker-compose.yml, which fills them in with sed when a node starts.
    /// </summary>
    public static byte[] Definitions(ClusterCredentials credentials, RabbitMqProfile profile)
    {
        var file = DefinitionsFile(profile);
        var template = Encoding.UTF8.GetString(Read(file));
        if (!template.Contains(UserPlaceholder, StringComparison.Ordinal) || !template.Contains(PasswordPlaceholder, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"The embedded {file} has no {UserPlaceholder} or {PasswordPlaceholder}: the cluster would start with a user nobody knows the password of.");
        }

        return Encoding.UTF8.GetBytes(template
            .Replace(UserPlaceholder, JsonEncodedText.Encode(credentials.UserName).ToString(), StringComparison.Ordinal)
            .Replace(PasswordPlaceholder, JsonEncodedText.Encode(credentials.Password).ToString(), StringComparison.Ordinal));
    }

    /// <summary>
    /// The definitions file of docker/rabbitmq/ for a RabbitMQ line: RabbitMQ 4.0 refuses to boot with the ha-* keys of
    /// RabbitMQ 3's policy, and RabbitMQ 3 has no use for a default queue type of quorum.
    /// </summary>
    public static string DefinitionsFile(RabbitMqProfile profile) => profile switch
    {
        RabbitMqProfile.RabbitMq3 => "definitions.json",
        RabbitMqProfile.RabbitMq4 => "definitions-4.json",
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "Not a RabbitMQ profile."),
    };

    /// <summary>
    /// The memory high watermark a node starts with, as a fraction of its memory: RabbitMQ 4.0 raised the default
    /// from 0.4 to 0.6, and this cluster's configuration leaves it at the default.
    /// </summary>
    public static string DefaultMemoryHighWatermark(RabbitMqProfile profile) => profile switch
    {
        RabbitMqProfile.RabbitMq3 => "0.4",
        RabbitMqProfile.RabbitMq4 => "0.6",
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "Not a RabbitMQ profile."),
    };

    public static byte[] ErlangCookie => Read("erlang.cookie");

    public static byte[] HaProxyConfig => Read("haproxy.cfg");

    public static string HostName(int node) => "rmq" + node.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static byte[] Read(string name)
    {
        var assembly = typeof(ClusterResources).Assembly;
        using var stream = assembly.GetManifestResourceStream("RabbitHa.Testing." + name)
            ?? throw new InvalidOperationException($"Embedded resource '{name}' is missing from {assembly.GetName().Name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
