namespace RabbitHa.Testing.Containers;

/// <summary>
/// Builds a <see cref="ContainerCluster"/>: three RabbitMQ containers and one HAProxy container on a
/// private Docker network.
/// </summary>
/// <remarks>
/// Images default to the environment variables <c>RABBITHA_RABBITMQ_IMAGE</c> and <c>RABBITHA_HAPROXY_IMAGE</c>
/// when set (as eng/setup-docker.sh prints them for machines that build their images locally), else to
/// <see cref="DefaultRabbitMqImage"/> and <see cref="DefaultHaProxyImage"/>.
/// </remarks>
public sealed class ContainerClusterBuilder
{
    /// <summary>The RabbitMQ image used when none is configured: the last line with mirrored classic queues.</summary>
    public const string DefaultRabbitMqImage = "rabbitmq:3.13-management";

    /// <summary>The HAProxy image used when none is configured.</summary>
    public const string DefaultHaProxyImage = "haproxy:2.8";

    /// <summary>The environment variable that overrides the default RabbitMQ image.</summary>
    public const string RabbitMqImageVariable = "RABBITHA_RABBITMQ_IMAGE";

    /// <summary>The environment variable that overrides the default HAProxy image.</summary>
    public const string HaProxyImageVariable = "RABBITHA_HAPROXY_IMAGE";

    private string _rabbitMqImage = FromEnvironment(RabbitMqImageVariable, DefaultRabbitMqImage);
    private string _haProxyImage = FromEnvironment(HaProxyImageVariable, DefaultHaProxyImage);
    private TimeSpan _startupTimeout = TimeSpan.FromSeconds(120);
    private Action<string> _log = static _ => { };

    /// <summary>Sets the RabbitMQ image (3.x up to 3.13; 4.x no longer has mirrored classic queues).</summary>
    /// <param name="image">The image reference, e.g. <c>rabbitmq:3.13-management</c>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="image"/> is null or white space.</exception>
    public ContainerClusterBuilder WithRabbitMqImage(string image)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(image);
        _rabbitMqImage = image;
        return this;
    }

    /// <summary>
    /// Sets the HAProxy image: 2.4 or later (the configuration uses conditional blocks), reading its configuration from
    /// /usr/local/etc/haproxy/haproxy.cfg.
    /// </summary>
    /// <param name="image">The image reference, e.g. <c>haproxy:2.8</c>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="image"/> is null or white space.</exception>
    public ContainerClusterBuilder WithHaProxyImage(string image)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(image);
        _haProxyImage = image;
        return this;
    }

    /// <summary>Sets how long <see cref="ContainerCluster.StartAsync"/> may take, 120 s by default.</summary>
    /// <param name="timeout">A positive duration.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is not positive.</exception>
    public ContainerClusterBuilder WithStartupTimeout(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        _startupTimeout = timeout;
        return this;
    }

    /// <summary>Sets where the cluster writes what it does (start-up timings, chaos operations).</summary>
    /// <param name="log">Receives one line per event.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="log"/> is null.</exception>
    public ContainerClusterBuilder WithLog(Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(log);
        _log = log;
        return this;
    }

    /// <summary>Builds the cluster; nothing is created until <see cref="ContainerCluster.StartAsync"/>.</summary>
    /// <returns>A cluster that is not started yet.</returns>
    public ContainerCluster Build() => new(new ContainerClusterConfiguration(_rabbitMqImage, _haProxyImage, _startupTimeout, _log));

    private static string FromEnvironment(string variable, string fallback)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrWhiteSpace(value) ? fallback : value;
    }
}
