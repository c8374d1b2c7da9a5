using System.Diagnostics;
using System.Globalization;
using Docker.DotNet;
using Docker.DotNet.Models;
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

    private const string ProxyBackend = "rabbitmq";
    private const string NodeStartedMessage = "Server startup complete";

    /// <summary>What RabbitMQ 4 answers to an ha-* policy key, and so to RabbitMQ 3's definitions at boot.</summary>
    private const string HaPolicyRefused = "are not recognised policy settings";
    private const string Loopback = "127.0.0.1";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    // The management API lists a connection once the node emits its statistics, every 5 s by default
    // (collect_statistics_interval), so a connection just opened is usually missing for 3 to 5 s.
    private static readonly TimeSpan DefaultConnectionWait = TimeSpan.FromSeconds(10);

    // The cookie must belong to the rabbitmq user and be readable by it alone, or the node exits with
    // status 0. The user's id differs between images, so the container installs its own copy at start
    // (as docker/docker-compose.yml does; there, the entrypoint also fills in definitions.json, which the fixture
    // renders itself).
    private static readonly string[] NodeEntrypoint =
    [
        "/bin/sh",
        "-c",
        "install -o rabbitmq -g rabbitmq -m 400 /run/rabbitha/erlang.cookie /var/lib/rabbitmq/.erlang.cookie && exec docker-entrypoint.sh rabbitmq-server",
    ];

    private readonly ContainerClusterConfiguration _configuration;
    private readonly ClusterCredentials _credentials;
    private readonly ManagementApiClient _management;
    private IDockerClient? _docker;
    private readonly int _proxyAmqpPort;
    private readonly int _proxyStatsPort;
    private readonly int[] _nodeAmqpPorts;
    private readonly int[] _nodeManagementPorts;
    private INetwork? _network;
    private IContainer[] _nodes = [];
    private IContainer? _proxy;
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

        Nodes = Enumerable.Range(1, NodeCount)
            .Select(n => new ClusterNodeEndpoints(
                n,
                ClusterResources.HostName(n),
                AmqpAt(_nodeAmqpPorts[n - 1]),
                new Uri($"http://{Loopback}:{_nodeManagementPorts[n - 1]}/"))
            {
                AmqpsUri = _tls is null ? null : AmqpsAt(_tls.NodePorts[n - 1]),
            })
            .ToArray();
        AmqpUri = AmqpAt(_proxyAmqpPort);
        AmqpsUri = _tls is null ? null : AmqpsAt(_tls.ProxyPort);
        ProxyStatsUri = new Uri($"http://{Loopback}:{_proxyStatsPort}{ClusterResources.ProxyStatsPath}");
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
    public Uri ProxyStatsUri { get; }

    /// <inheritdoc />
    public string ProxyStatsUserName => _credentials.ProxyStatsUserName;

    /// <inheritdoc />
    public string ProxyStatsPassword => _credentials.ProxyStatsPassword;

    /// <inheritdoc />
    public IReadOnlyList<ClusterNodeEndpoints> Nodes { get; }

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
        _nodes = Enumerable.Range(1, NodeCount).Select(BuildNode).ToArray();
        _proxy = BuildProxy();

        _configuration.Log($"Starting cluster {Id} (profile {RabbitMqProfile}): {NodeCount} x {_configuration.RabbitMqImage} behind {_configuration.HaProxyImage}, HAProxy AMQP on {Loopback}:{AmqpUri.Port}{TlsDescription}, user {UserName}.");
        try
        {
            await _network.CreateAsync(timeout.Token).ConfigureAwait(false);
            // The nodes must start together: each waits for its peers before it forms the cluster.
            await StartTogetherAsync([.. _nodes, _proxy], timeout).ConfigureAwait(false);
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

    /// <inheritdoc />
    public async Task KillNodeAsync(int node, CancellationToken cancellationToken = default)
    {
        var container = Node(node);
        _configuration.Log($"Killing rmq{node} (SIGKILL).");
        MarkStopped(node);
        // From outside the container: PID 1 of a container ignores SIGKILL sent from inside it.
        await Docker.Containers.KillContainerAsync(container.Id, new ContainerKillParameters { Signal = "KILL" }, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task StopNodeAsync(int node, CancellationToken cancellationToken = default)
    {
        var container = Node(node);
        _configuration.Log($"Stopping rmq{node}.");
        MarkStopped(node);
        return container.StopAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task StartNodeAsync(int node, CancellationToken cancellationToken = default)
    {
        var container = Node(node);
        _configuration.Log($"Starting rmq{node}.");
        var clock = Stopwatch.StartNew();
        var since = DateTime.UtcNow;
        await container.StartAsync(cancellationToken).ConfigureAwait(false);
        // The container's wait strategy reads logs from whole seconds on, so a node restarted within
        // the second it was killed finds its previous "startup complete" line: wait for a new one.
        await WaitUntilBootedAsync(node, since, cancellationToken).ConfigureAwait(false);
        _configuration.Log($"rmq{node} running after {clock.Elapsed.TotalSeconds:F1} s.");
    }

    /// <inheritdoc />
    public Task DisconnectNodeAsync(int node, CancellationToken cancellationToken = default)
    {
        var container = Node(node);
        _configuration.Log($"Disconnecting rmq{node} from the cluster network.");
        return Docker.Networks.DisconnectNetworkAsync(
            _network!.Name,
            new NetworkDisconnectParameters { Container = container.Id, Force = true },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task ReconnectNodeAsync(int node, CancellationToken cancellationToken = default)
    {
        var container = Node(node);
        _configuration.Log($"Reconnecting rmq{node} to the cluster network.");
        // The alias is not kept across a disconnect: without it the other nodes and HAProxy cannot resolve it.
        return Docker.Networks.ConnectNetworkAsync(
            _network!.Name,
            new NetworkConnectParameters
            {
                Container = container.Id,
                EndpointConfig = new EndpointSettings { Aliases = [ClusterResources.HostName(node)] },
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task PauseNodeAsync(int node, CancellationToken cancellationToken = default)
    {
        var container = Node(node);
        _configuration.Log($"Pausing rmq{node}.");
        return container.PauseAsync(cancellationToken);
    }

    /// <inheritdoc />
    public Task UnpauseNodeAsync(int node, CancellationToken cancellationToken = default)
    {
        var container = Node(node);
        _configuration.Log($"Unpausing rmq{node}.");
        return container.UnpauseAsync(cancellationToken);
    }

    /// <inheritdoc />
    public Task RaiseMemoryAlarmAsync(int node, CancellationToken cancellationToken = default)
    {
        _configuration.Log($"Raising the memory alarm of rmq{node}.");
        return RabbitMqCtlAsync(node, ["set_vm_memory_high_watermark", "0.000001"], cancellationToken);
    }

    /// <inheritdoc />
    public Task SetMemoryHighWatermarkAsync(int node, long bytes, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        _configuration.Log($"Setting the memory high watermark of rmq{node} to {bytes} bytes.");
        return RabbitMqCtlAsync(node, ["set_vm_memory_high_watermark", "absolute", bytes.ToString(System.Globalization.CultureInfo.InvariantCulture)], cancellationToken);
    }

    /// <inheritdoc />
    public Task ClearMemoryAlarmAsync(int node, CancellationToken cancellationToken = default)
    {
        _configuration.Log($"Clearing the memory alarm of rmq{node}.");
        return RabbitMqCtlAsync(node, ["set_vm_memory_high_watermark", ClusterResources.DefaultMemoryHighWatermark(RabbitMqProfile)], cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>HAProxy is killed rather than asked to finish its sessions: AMQP connections are long-lived, and a
    /// graceful stop would wait for them. Every client connection through it drops at once.</remarks>
    public Task StopProxyAsync(CancellationToken cancellationToken = default)
    {
        var proxy = Proxy();
        _configuration.Log("Stopping HAProxy.");
        return Docker.Containers.KillContainerAsync(proxy.Id, new ContainerKillParameters { Signal = "KILL" }, cancellationToken);
    }

    /// <inheritdoc />
    public Task StartProxyAsync(CancellationToken cancellationToken = default)
    {
        var proxy = Proxy();
        _configuration.Log("Starting HAProxy.");
        return proxy.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ClusterNodeState>> GetNodeStatesAsync(CancellationToken cancellationToken = default) =>
        AskAnyNodeAsync((uri, ct) => _management.GetNodesAsync(uri, ct), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<ProxyBackendState>> GetProxyBackendsAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfNotStarted();
        return _management.GetProxyBackendsAsync(ProxyStatsUri, ProxyBackend, cancellationToken);
    }

    /// <inheritdoc />
    public Task<QueueReplicaState?> GetQueueReplicasAsync(string queue, string virtualHost = "/", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        ArgumentException.ThrowIfNullOrEmpty(virtualHost);
        return FindOnAnyNodeAsync((uri, ct) => _management.GetQueueAsync(uri, virtualHost, queue, ct), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<int?> FindConnectionNodeAsync(string clientProvidedName, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientProvidedName);
        var limit = timeout ?? DefaultConnectionWait;
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, TimeSpan.Zero, nameof(timeout));
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var nodeName = await FindOnAnyNodeAsync((uri, ct) => _management.FindConnectionNodeAsync(uri, clientProvidedName, ct), cancellationToken)
                .ConfigureAwait(false);
            if (nodeName is not null)
            {
                return NodeNumber(nodeName);
            }

            var left = limit - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                return null;
            }

            await Task.Delay(left < PollInterval ? left : PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task<string> GetNodeLogAsync(int node, CancellationToken cancellationToken = default)
    {
        var container = Node(node);
        var (stdout, stderr) = await container.GetLogsAsync(timestampsEnabled: false, ct: cancellationToken).ConfigureAwait(false);
        return stdout + stderr;
    }

    /// <summary>Removes every container and the network of the cluster. Safe to call more than once.</summary>
    /// <returns>A task that completes when everything is removed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        DeleteTlsFiles();
        var containers = _proxy is null ? _nodes : _nodes.Append(_proxy);
        await Task.WhenAll(containers.Select(c => c.DisposeAsync().AsTask())).ConfigureAwait(false);
        if (_network is not null)
        {
            await _network.DisposeAsync().ConfigureAwait(false);
        }

        // Testcontainers removes what it knows it started; sweep by label for anything a failed or
        // cancelled start left half-created.
        if (_docker is not null)
        {
            await RemoveLeftoversAsync(_docker, Id, CancellationToken.None).ConfigureAwait(false);
            _docker.Dispose();
        }

        _management.Dispose();
        _configuration.Log($"Cluster {Id} removed.");
    }

    /// <summary>Counts the containers and networks that carry a cluster's label.</summary>
    internal static async Task<(int Containers, int Networks)> CountResourcesAsync(string clusterId, CancellationToken cancellationToken)
    {
        using var docker = DockerAvailability.CreateClient();
        var containers = await docker.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = LabelFilter(clusterId) }, cancellationToken).ConfigureAwait(false);
        var networks = await docker.Networks.ListNetworksAsync(
            new NetworksListParameters { Filters = LabelFilter(clusterId) }, cancellationToken).ConfigureAwait(false);
        return (containers.Count, networks.Count);
    }

    private static async Task RemoveLeftoversAsync(IDockerClient docker, string clusterId, CancellationToken cancellationToken)
    {
        var containers = await docker.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = LabelFilter(clusterId) }, cancellationToken).ConfigureAwait(false);
        foreach (var container in containers)
        {
            await docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true }, cancellationToken)
                .ConfigureAwait(false);
        }

        var networks = await docker.Networks.ListNetworksAsync(
            new NetworksListParameters { Filters = LabelFilter(clusterId) }, cancellationToken).ConfigureAwait(false);
        foreach (var network in networks)
        {
            await docker.Networks.DeleteNetworkAsync(network.ID, cancellationToken).ConfigureAwait(false);
        }
    }

    private static Dictionary<string, IDictionary<string, bool>> LabelFilter(string clusterId) =>
        new() { ["label"] = new Dictionary<string, bool> { [$"{ClusterLabel}={clusterId}"] = true } };

    /// <summary>Every binding on 127.0.0.1: Testcontainers publishes on 0.0.0.0 (and Docker on [::] too), which puts a
    /// broker with an administrator on every network the machine is on.</summary>
    private static void PublishOnLoopbackOnly(CreateContainerParameters parameters)
    {
        if (parameters.HostConfig?.PortBindings is not { } portBindings)
        {
            return;
        }

        foreach (var binding in portBindings.Values.SelectMany(bindings => bindings))
        {
            binding.HostIP = Loopback;
        }
    }

    private Uri AmqpAt(int port) => new($"amqp://{UserName}:{Password}@{Loopback}:{port}/");

    private static int? NodeNumber(string nodeName)
    {
        var at = nodeName.LastIndexOf("@rmq", StringComparison.Ordinal);
        return at >= 0 && int.TryParse(nodeName.AsSpan(at + 4), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : null;
    }

    private static async Task<bool> HasLoggedSinceAsync(IContainer container, string message, DateTime since, CancellationToken cancellationToken)
    {
        var (stdout, _) = await container.GetLogsAsync(timestampsEnabled: true, ct: cancellationToken).ConfigureAwait(false);
        foreach (var line in stdout.Split('\n'))
        {
            // Docker puts an RFC 3339 timestamp and a space before every line.
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0
                && line.Contains(message, StringComparison.Ordinal)
                && DateTime.TryParse(line.AsSpan(0, space), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var at)
                && at >= since)
            {
                return true;
            }
        }

        return false;
    }

    private IContainer BuildNode(int node)
    {
        var host = ClusterResources.HostName(node);
        var builder = new ContainerBuilder(_configuration.RabbitMqImage)
            .WithName($"rabbitha-{Id}-{host}")
            .WithHostname(host)
            .WithNetwork(_network!)
            .WithNetworkAliases(host)
            .WithLabel(ClusterLabel, Id)
            .WithPortBinding(_nodeAmqpPorts[node - 1], ClusterResources.AmqpPort)
            .WithPortBinding(_nodeManagementPorts[node - 1], ClusterResources.ManagementPort)
            .WithCreateParameterModifier(PublishOnLoopbackOnly)
            .WithEntrypoint(NodeEntrypoint)
            .WithResourceMapping(ClusterResources.ErlangCookie, "/run/rabbitha/erlang.cookie")
            .WithResourceMapping(ClusterResources.NodeRabbitMqConf(TlsEnabled), "/etc/rabbitmq/rabbitmq.conf")
            .WithResourceMapping(ClusterResources.AdvancedConfig, "/etc/rabbitmq/advanced.config")
            .WithResourceMapping(ClusterResources.EnabledPlugins, "/etc/rabbitmq/enabled_plugins")
            .WithResourceMapping(ClusterResources.Definitions(_credentials, RabbitMqProfile), "/etc/rabbitmq/definitions.json")
            .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged(NodeStartedMessage))
            .WithLogger(NullLogger.Instance);
        return WithNodeTls(builder, node).Build();
    }

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

    private IContainer BuildProxy() =>
        WithProxyTls(new ContainerBuilder(_configuration.HaProxyImage)
            .WithName($"rabbitha-{Id}-haproxy")
            .WithHostname("haproxy")
            .WithNetwork(_network!)
            .WithNetworkAliases("haproxy")
            .WithLabel(ClusterLabel, Id)
            .WithPortBinding(_proxyAmqpPort, ClusterResources.AmqpPort)
            .WithPortBinding(_proxyStatsPort, ClusterResources.ProxyStatsPort)
            .WithCreateParameterModifier(PublishOnLoopbackOnly)
            .WithEnvironment(ClusterResources.ProxyStatsUserVariable, ProxyStatsUserName)
            .WithEnvironment(ClusterResources.ProxyStatsPasswordVariable, ProxyStatsPassword)
            .WithResourceMapping(ClusterResources.HaProxyConfig, "/usr/local/etc/haproxy/haproxy.cfg")
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(request => request
                .ForPort(ClusterResources.ProxyStatsPort)
                .ForPath(ClusterResources.ProxyStatsPath)
                .WithBasicAuthentication(ProxyStatsUserName, ProxyStatsPassword)))
            .WithLogger(NullLogger.Instance))
            .Build();

    private async Task WaitUntilHealthyCoreAsync(CancellationToken cancellationToken)
    {
        while (!await IsHealthyAsync(cancellationToken).ConfigureAwait(false))
        {
            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<bool> IsHealthyAsync(CancellationToken cancellationToken)
    {
        var observation = await ObserveAsync(cancellationToken).ConfigureAwait(false);
        return observation.Nodes is { } nodes
            && nodes.Count == NodeCount
            && nodes.All(n => n.IsRunning && n.Partitions.Count == 0)
            && observation.Backends is { } backends
            && backends.Count == NodeCount
            && backends.All(b => b.Status == "UP")
            && await IsProxyTlsBackendUpAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> DescribeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var observation = await ObserveAsync(cts.Token).ConfigureAwait(false);
        var nodes = observation.Nodes is { } n
            ? string.Join(", ", n.Select(s => $"{s.NodeName} {(s.IsRunning ? "running" : "not running")}{(s.Partitions.Count > 0 ? " partitioned from " + string.Join('/', s.Partitions) : "")}"))
            : "no node answered (" + observation.NodesError + ")";
        var backends = observation.Backends is { } b
            ? string.Join(", ", b.Select(s => $"{s.ServerName} {s.Status}"))
            : "HAProxy did not answer (" + observation.BackendsError + ")";
        return $"Nodes: {nodes}. HAProxy: {backends}.";
    }

    private async Task<Observation> ObserveAsync(CancellationToken cancellationToken)
    {
        var observation = new Observation();
        try
        {
            observation.Nodes = await GetNodeStatesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex)
        {
            observation.NodesError = ex.Message;
        }

        try
        {
            observation.Backends = await GetProxyBackendsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            observation.BackendsError = ex.Message;
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            observation.BackendsError = "timed out: " + ex.Message;
        }

        return observation;
    }

    /// <summary>Asks each node's management API in turn; a node that is down, paused or cut off is skipped.</summary>
    private Task<T> AskAnyNodeAsync<T>(Func<Uri, CancellationToken, Task<T>> query, CancellationToken cancellationToken) =>
        AskNodesAsync(query, static _ => true, cancellationToken);

    /// <summary>
    /// Like <see cref="AskAnyNodeAsync"/>, but a node whose answer is <see langword="null"/> (not found) passes the
    /// question on: a node that was just restarted answers from statistics that do not yet hold the other nodes'
    /// connections and queues, for up to a minute or two. Not found only when every node that answered says so.
    /// </summary>
    private async Task<T?> FindOnAnyNodeAsync<T>(Func<Uri, CancellationToken, Task<T?>> query, CancellationToken cancellationToken)
        where T : class =>
        await AskNodesAsync(query, static answer => answer is not null, cancellationToken, notFound: true).ConfigureAwait(false);

    private async Task<T> AskNodesAsync<T>(Func<Uri, CancellationToken, Task<T>> query, Func<T, bool> isAnswer, CancellationToken cancellationToken, bool notFound = false)
    {
        ThrowIfNotStarted();
        var errors = new List<string>();
        bool anyAnswered = false;
        T last = default!;
        foreach (var node in Nodes)
        {
            try
            {
                last = await query(node.ManagementUri, cancellationToken).ConfigureAwait(false);
                anyAnswered = true;
                if (isAnswer(last))
                {
                    return last;
                }

                continue;
            }
            catch (HttpRequestException ex)
            {
                errors.Add($"{node.HostName}: {ex.Message}");
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                errors.Add($"{node.HostName}: timed out");
            }
        }

        if (anyAnswered && notFound)
        {
            return last;
        }

        throw new InvalidOperationException("No RabbitMQ node's management API answered: " + string.Join("; ", errors));
    }

    private async Task RabbitMqCtlAsync(int node, string[] arguments, CancellationToken cancellationToken)
    {
        var container = Node(node);
        var result = await container.ExecAsync(["rabbitmqctl", .. arguments], cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"rabbitmqctl {string.Join(' ', arguments)} on rmq{node} exited with {result.ExitCode}: {result.Stderr.Trim()} {result.Stdout.Trim()}");
        }
    }

    private IContainer Node(int node)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(node, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(node, NodeCount);
        ThrowIfNotStarted();
        return _nodes[node - 1];
    }

    private IContainer Proxy()
    {
        ThrowIfNotStarted();
        return _proxy!;
    }

    private void ThrowIfNotStarted()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_started)
        {
            throw new InvalidOperationException("The cluster has not been started: call StartAsync first.");
        }
    }

    private sealed class Observation
    {
        public IReadOnlyList<ClusterNodeState>? Nodes { get; set; }

        public string? NodesError { get; set; }

        public IReadOnlyList<ProxyBackendState>? Backends { get; set; }

        public string? BackendsError { get; set; }
    }
}
