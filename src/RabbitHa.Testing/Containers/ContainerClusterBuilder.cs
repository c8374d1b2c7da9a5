using System.Globalization;

namespace RabbitHa.Testing.Containers;

/// <summary>
/// Builds a <see cref="ContainerCluster"/>: three RabbitMQ containers and one HAProxy container on a
/// private Docker network.
/// </summary>
/// <remarks>
/// <para>
/// The RabbitMQ line comes from <see cref="WithRabbitMqProfile"/>, else from the environment variable
/// <c>RABBITHA_RABBITMQ_PROFILE</c> (<c>3</c> or <c>4</c>), else <see cref="RabbitMqProfile.RabbitMq3"/>.
/// </para>
/// <para>
/// Images come from <see cref="WithRabbitMqImage"/> and <see cref="WithHaProxyImage"/>, else from the environment
/// variables <c>RABBITHA_RABBITMQ_IMAGE</c> and <c>RABBITHA_HAPROXY_IMAGE</c> (as eng/setup-docker.sh prints them, with
/// <c>RABBITHA_RABBITMQ_PROFILE</c>, for machines that build their images locally), else from
/// <see cref="DefaultRabbitMqImage"/> and <see cref="DefaultHaProxyImage"/> for the profile. An image must run the
/// profile's RabbitMQ line: <see cref="ContainerCluster.StartAsync"/> checks the version the nodes report.
/// </para>
/// </remarks>
public sealed class ContainerClusterBuilder
{
    /// <summary>The environment variable that chooses the profile when <see cref="WithRabbitMqProfile"/> is not called: <c>3</c> or <c>4</c>.</summary>
    public const string RabbitMqProfileVariable = "RABBITHA_RABBITMQ_PROFILE";

    /// <summary>The environment variable that overrides the default RabbitMQ image.</summary>
    public const string RabbitMqImageVariable = "RABBITHA_RABBITMQ_IMAGE";

    /// <summary>The environment variable that overrides the default HAProxy image.</summary>
    public const string HaProxyImageVariable = "RABBITHA_HAPROXY_IMAGE";

    private readonly Func<string, string?> _environment;
    private RabbitMqProfile? _profile;
    private string? _rabbitMqImage;
    private string? _haProxyImage;
    private TimeSpan _startupTimeout = TimeSpan.FromSeconds(120);
    private bool _tls;
    private Action<string> _log = static _ => { };

    /// <summary>Initializes a new instance of the <see cref="ContainerClusterBuilder"/> class, which reads the process's environment variables.</summary>
    public ContainerClusterBuilder()
        : this(Environment.GetEnvironmentVariable)
    {
    }

    /// <summary>Lets tests give the environment variables without touching the process's, which other tests read at the same time.</summary>
    internal ContainerClusterBuilder(Func<string, string?> environment)
    {
        _environment = environment;
    }

    /// <summary>Gets the RabbitMQ image a profile runs when no image is configured.</summary>
    /// <param name="profile">The profile.</param>
    /// <returns><c>rabbitmq:3.13-management</c> (the last line with mirrored classic queues) for <see cref="RabbitMqProfile.RabbitMq3"/>,
    /// <c>rabbitmq:4.0-management</c> for <see cref="RabbitMqProfile.RabbitMq4"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="profile"/> is not a defined profile.</exception>
    public static string DefaultRabbitMqImage(RabbitMqProfile profile) => profile switch
    {
        RabbitMqProfile.RabbitMq3 => "rabbitmq:3.13-management",
        RabbitMqProfile.RabbitMq4 => "rabbitmq:4.0-management",
        _ => throw UnknownProfile(profile),
    };

    /// <summary>Gets the HAProxy image a profile runs when no image is configured.</summary>
    /// <param name="profile">The profile.</param>
    /// <returns><c>haproxy:2.8</c> for <see cref="RabbitMqProfile.RabbitMq3"/>, <c>haproxy:3.0</c> for <see cref="RabbitMqProfile.RabbitMq4"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="profile"/> is not a defined profile.</exception>
    public static string DefaultHaProxyImage(RabbitMqProfile profile) => profile switch
    {
        RabbitMqProfile.RabbitMq3 => "haproxy:2.8",
        RabbitMqProfile.RabbitMq4 => "haproxy:3.0",
        _ => throw UnknownProfile(profile),
    };

    /// <summary>
    /// Sets the RabbitMQ line the cluster runs, and with it the definitions its nodes load: the policy <c>ha-all</c>
    /// (mirrored classic queues) on RabbitMQ 3; no <c>ha-*</c> policy and quorum as the default queue type on RabbitMQ 4.
    /// </summary>
    /// <param name="profile">The profile; without this call, <c>RABBITHA_RABBITMQ_PROFILE</c> or <see cref="RabbitMqProfile.RabbitMq3"/>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="profile"/> is not a defined profile.</exception>
    public ContainerClusterBuilder WithRabbitMqProfile(RabbitMqProfile profile)
    {
        if (!Enum.IsDefined(profile))
        {
            throw UnknownProfile(profile);
        }

        _profile = profile;
        return this;
    }

    /// <summary>Sets the RabbitMQ image, which must run the profile's RabbitMQ line (see <see cref="WithRabbitMqProfile"/>).</summary>
    /// <param name="image">The image reference, e.g. <c>rabbitmq:3.13-management</c> or <c>rabbitmq:4.0-management</c>.</param>
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

    /// <summary>
    /// Turns TLS on: besides plain AMQP, every node listens for AMQP over TLS (amqps) on its own loopback port, and HAProxy
    /// on one more, passing TLS through to the nodes (<see cref="ContainerCluster.AmqpsUri"/>,
    /// <see cref="IRabbitHaClusterNode.AmqpsUri"/>). Off by default.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The cluster generates its own CA when it is built (ECDSA P-256, <c>CN=RabbitHa test CA &lt;id&gt;</c>, valid from an
    /// hour before to 7 days after), and one certificate per node signed by it, for the names <c>rmqN</c>, <c>localhost</c>
    /// and <c>127.0.0.1</c> (server authentication). A client trusts the CA certificate, which
    /// <see cref="ContainerCluster.CaCertificatePath"/> names as a PEM file (removed with the cluster) and
    /// <see cref="ContainerCluster.CaCertificatePem"/> holds; nothing is added to the machine's trust stores. The CA's
    /// private key is not kept.
    /// </para>
    /// <para>
    /// The node ends TLS, so a client checks the node's certificate through HAProxy too. The plain endpoints stay: HAProxy's
    /// health check and the management API use them, and so may tests. Clients are not asked for a certificate.
    /// </para>
    /// </remarks>
    /// <returns>This builder.</returns>
    public ContainerClusterBuilder WithTls()
    {
        _tls = true;
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
    /// <exception cref="InvalidOperationException"><see cref="WithRabbitMqProfile"/> was not called and <c>RABBITHA_RABBITMQ_PROFILE</c>
    /// is set to something other than <c>3</c> or <c>4</c>.</exception>
    public ContainerCluster Build()
    {
        var profile = _profile ?? ProfileFromEnvironment();
        return new(new ContainerClusterConfiguration(
            profile,
            _rabbitMqImage ?? FromEnvironment(RabbitMqImageVariable) ?? DefaultRabbitMqImage(profile),
            _haProxyImage ?? FromEnvironment(HaProxyImageVariable) ?? DefaultHaProxyImage(profile),
            _startupTimeout,
            _log)
        {
            Tls = _tls,
        });
    }

    private RabbitMqProfile ProfileFromEnvironment()
    {
        var value = FromEnvironment(RabbitMqProfileVariable);
        if (value is null)
        {
            return RabbitMqProfile.RabbitMq3;
        }

        // A typo must not quietly run the other line: the tests would pass against a cluster nobody asked for.
        return int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var major) && Enum.IsDefined((RabbitMqProfile)major)
            ? (RabbitMqProfile)major
            : throw new InvalidOperationException($"{RabbitMqProfileVariable} must be 3 or 4 (the RabbitMQ major version), not '{value}'.");
    }

    private string? FromEnvironment(string variable)
    {
        var value = _environment(variable);
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }

    private static ArgumentOutOfRangeException UnknownProfile(RabbitMqProfile profile) =>
        new(nameof(profile), profile, "Not a RabbitMQ profile: use RabbitMqProfile.RabbitMq3 or RabbitMqProfile.RabbitMq4.");
}
