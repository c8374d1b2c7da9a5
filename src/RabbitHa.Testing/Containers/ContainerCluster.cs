using System.Diagnostics;
using System.Globalization;
using Docker.DotNet;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Networks;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitHa.Testing.Management;

namespace RabbitHa.Testing.Containers;

/// <summary>
/// The cluster on Docker, through Testcontainers: three RabbitMQ containers (<c>rmq1</c>..<c>rmq3</c>)
/// and one HAProxy container on a private network, every port published on a fixed port of 127.0.0.1.
/// </summary>
/// <remarks>
/// <para>
/// Create it with <see cref="ContainerClusterBuilder"/>. Everything it creates carries the label
/// <c>rabbitha.cluster</c> with its <see cref="Id"/>, and <see cref="DisposeAsync"/> removes all of it,
/// also after a failed start, since Testcontainers' resource reaper may not be running.
/// </para>
/// <para>
/// Each cluster has credentials of its own, generated when it is built: one RabbitMQ user
/// (<see cref="UserName"/>, an administrator; there is no <c>guest</c>) and the login of HAProxy's statistics page.
/// Nothing is published on an address other machines can reach.
/// </para>
/// </remarks>
public sealed partial class ContainerCluster : IRabbitHaCluster
{
    /// <summary>The label every container and network of a cluster carries, with the cluster's <see cref="Id"/> as value.</summary>
    public const string ClusterLabel = "rabbitha.cluster";

    private const string NodeStartedMessage = "Server startup complete";

    /// <summary>What RabbitMQ 4 answers to an ha-* policy key, and so to RabbitMQ 3's definitions at boot.</summary>
    private const string HaPolicyRefused = "are not recognised policy settings";
    private const string Loopback = "127.0.0.1";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private readonly ContainerClusterConfiguration _configuration;
    private readonly ClusterCredentials _credentials;
    private readonly ManagementApiClient _management;
    private IDockerClient? _docker;
    private readonly int _proxyAmqpPort;
    private readonly int _proxyStatsPort;
    private readonly int[] _nodeAmqpPorts;
    private readonly int[] _nodeManagementPorts;
    private INetwork? _network;
    private IContainer[] _nodeContainers = [];
    private IContainer? _proxyContainer;
    private readonly ClusterNodeList _nodes;
    private bool _started;
    private bool _disposed;

    internal ContainerCluster(ContainerClusterConfiguration configuration)
    {
        _configuration = configuration;
        Id = Guid.NewGuid().ToString("N")[..10];
        _credentials = ClusterCredentials.Generate();
        _management = new ManagementApiClient(_credentials, TimeSpan.FromSeconds(5));
        var ports = FreePort.Take(2 + (2 * NodeCount) + (configuration.Tls ? 1 + NodeCount : 0));
        _proxyAmqpPort = ports[0];
        _proxyStatsPort = ports[1];
        _nodeAmqpPorts = ports[2..(2 + NodeCount)];
        _nodeManagementPorts = ports[(2 + NodeCount)..(2 + (2 * NodeCount))];
        _tls = configuration.Tls ? TlsFiles.Create(Id, ports[(2 + (2 * NodeCount))..]) : null;

        _nodes = new ClusterNodeList(Enumerable.Range(1, NodeCount).Select(n => new ContainerClusterNode(
            this,
            n,
            AmqpAt(_nodeAmqpPorts[n - 1]),
            _tls is null ? null : AmqpsAt(_tls.NodePorts[n - 1]),
            new Uri($"http://{Loopback}:{_nodeManagementPorts[n - 1]}/"))));
        AmqpUri = AmqpAt(_proxyAmqpPort);
        AmqpsUri = _tls is null ? null : AmqpsAt(_tls.ProxyPort);
        Proxy = new ContainerClusterProxy(
            this,
            new Uri($"http://{Loopback}:{_proxyStatsPort}{ClusterResources.ProxyStatsPath}"),
            _credentials.ProxyStatsUserName,
            _credentials.ProxyStatsPassword);
    }

    /// <summary>Gets the identifier of this cluster: part of its container and network names, and the value of its <see cref="ClusterLabel"/>.</summary>
    public string Id { get; }

    /// <summary>Gets what the cluster was built from: the tests check what the builder chose.</summary>
    internal ContainerClusterConfiguration Configuration => _configuration;

    private IDockerClient Docker => _docker ?? throw new InvalidOperationException("The cluster has not been started: call StartAsync first.");

    /// <inheritdoc />
    public int NodeCount => ClusterResources.NodeCount;

    /// <inheritdoc />
    public RabbitMqProfile RabbitMqProfile => _configuration.Profile;

    /// <inheritdoc />
    public Uri AmqpUri { get; }

    /// <inheritdoc />
    public string UserName => _credentials.UserName;

    /// <inheritdoc />
    public string Password => _credentials.Password;

    /// <inheritdoc />
    public IReadOnlyList<IRabbitHaClusterNode> Nodes => _nodes;

    /// <inheritdoc />
    public IRabbitHaClusterProxy Proxy { get; }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The cluster was started already, or its nodes run another RabbitMQ major version
    /// than <see cref="RabbitMqProfile"/> (an image for the other profile), or refused to boot with its definitions for that reason.</exception>
    /// <exception cref="TimeoutException">The cluster was not healthy within the start-up timeout.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_started)
        {
            throw new InvalidOperationException("The cluster has been started already.");
        }

        _started = true;
        _docker = DockerAvailability.CreateClient();
        var clock = Stopwatch.StartNew();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_configuration.StartupTimeout);
        string version;

        _network = new NetworkBuilder()
            .WithName("rabbitha-" + Id)
            .WithLabel(ClusterLabel, Id)
            .WithLogger(NullLogger.Instance)
            .Build();
        _nodeContainers = Enumerable.Range(1, NodeCount).Select(BuildNode).ToArray();
        _proxyContainer = BuildProxy();

        _configuration.Log($"Starting cluster {Id} (profile {RabbitMqProfile}): {NodeCount} x {_configuration.RabbitMqImage} behind {_configuration.HaProxyImage}, HAProxy AMQP on {Loopback}:{AmqpUri.Port}{TlsDescription}, user {UserName}.");
        try
        {
            await _network.CreateAsync(timeout.Token).ConfigureAwait(false);
            // The nodes must start together: each waits for its peers before it forms the cluster.
            await StartTogetherAsync([.. _nodeContainers, _proxyContainer], timeout).ConfigureAwait(false);
            _configuration.Log($"Containers of cluster {Id} running after {clock.Elapsed.TotalSeconds:F1} s.");
            await WaitUntilHealthyCoreAsync(timeout.Token).ConfigureAwait(false);
            version = await AskAnyNodeAsync((uri, ct) => _management.GetRabbitMqVersionAsync(uri, ct), timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"The RabbitHa cluster {Id} did not start within {_configuration.StartupTimeout.TotalSeconds:F0} s. "
                + await DescribeAsync().ConfigureAwait(false));
        }
        catch (ContainerNotRunningException ex) when (ex.Message.Contains(HaPolicyRefused, StringComparison.Ordinal))
        {
            // The node's log is in the inner exception, but the cause is one line among a hundred of a failed boot.
            throw new InvalidOperationException(
                $"The RabbitMQ nodes of cluster {Id} (image {_configuration.RabbitMqImage}) refused to boot with the ha-all policy of profile {RabbitMqProfile}: "
                + $"the image runs RabbitMQ 4 or later, which has no mirrored classic queues. Use the profile {RabbitMqProfile.RabbitMq4} "
                + $"({ContainerClusterBuilder.RabbitMqProfileVariable}=4 or ContainerClusterBuilder.WithRabbitMqProfile), or an image of RabbitMQ 3 "
                + $"(check {ContainerClusterBuilder.RabbitMqImageVariable}).",
                ex);
        }

        _configuration.Log($"Cluster {Id} healthy after {clock.Elapsed.TotalSeconds:F1} s: RabbitMQ {version}.");
        ThrowIfNotTheProfilesVersion(version);
    }

    /// <inheritdoc />
    public async Task WaitUntilHealthyAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ThrowIfNotStarted();
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(limit);
        try
        {
            await WaitUntilHealthyCoreAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"The RabbitHa cluster {Id} was not healthy within {limit.TotalSeconds:F0} s. " + await DescribeAsync().ConfigureAwait(false));
        }
    }

    private Uri AmqpAt(int port) => new($"amqp://{UserName}:{Password}@{Loopback}:{port}/");

    /// <summary>
    /// Starts the containers at once and waits for all of them. The first that fails cancels the others, and its
    /// exception is thrown once they have ended: the peers of a node that exited at boot wait for it until the start-up
    /// timeout, minutes after the cause is known.
    /// </summary>
    private static async Task StartTogetherAsync(IContainer[] containers, CancellationTokenSource timeout)
    {
        var starts = containers.Select(c => c.StartAsync(timeout.Token)).ToArray();
        var pending = starts.ToList();
        while (pending.Count > 0)
        {
            var ended = await Task.WhenAny(pending).ConfigureAwait(false);
            pending.Remove(ended);
            if (ended.IsFaulted)
            {
                await timeout.CancelAsync().ConfigureAwait(false);
                break;
            }
        }

        // A fault wins over the others' cancellation: this throws the failure.
        await Task.WhenAll(starts).ConfigureAwait(false);
    }

    /// <summary>
    /// An image of the other line fails in ways that do not name the cause: RabbitMQ 4 refuses to boot with RabbitMQ 3's
    /// ha-* policy, and RabbitMQ 3 runs with 4's definitions but mirrors nothing. Both come from image variables left over
    /// from the other profile (eng/setup-docker.sh prints them per profile).
    /// </summary>
    private void ThrowIfNotTheProfilesVersion(string version)
    {
        var major = version.Split('.')[0];
        if (major != ((int)RabbitMqProfile).ToString(CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException(
                $"The RabbitHa cluster {Id} runs RabbitMQ {version} from the image {_configuration.RabbitMqImage}, but its profile is {RabbitMqProfile}. "
                + $"Use an image of RabbitMQ {(int)RabbitMqProfile}.x (check {ContainerClusterBuilder.RabbitMqImageVariable}), or the profile of "
                + $"RabbitMQ {major} ({ContainerClusterBuilder.RabbitMqProfileVariable}={major} or ContainerClusterBuilder.WithRabbitMqProfile).");
        }
    }

    private async Task WaitUntilHealthyCoreAsync(CancellationToken cancellationToken)
    {
        while (!await IsHealthyAsync(cancellationToken).ConfigureAwait(false))
        {
            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private void ThrowIfNotStarted()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_started)
        {
            throw new InvalidOperationException("The cluster has not been started: call StartAsync first.");
        }
    }
}
