using System.Reflection;

namespace RabbitHa.Testing;

/// <summary>
/// The configuration files of docker/, embedded at build time, so that every backend runs the same
/// cluster as the hand-run deployment.
/// </summary>
internal static class ClusterResources
{
    public const string UserName = "guest";
    public const string Password = "guest";
    public const string ProxyStatsUserName = "admin";
    public const string ProxyStatsPassword = "admin";
    public const string ProxyStatsPath = "/rabbit";
    public const int NodeCount = 3;
    public const int AmqpPort = 5672;
    public const int ManagementPort = 15672;
    public const int ProxyStatsPort = 8100;

    public static byte[] RabbitMqConf => Read("rabbitmq.conf");

    public static byte[] AdvancedConfig => Read("advanced.config");

    public static byte[] EnabledPlugins => Read("enabled_plugins");

    public static byte[] Definitions => Read("definitions.json");

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
