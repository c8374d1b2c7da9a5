using System.Diagnostics;

namespace RabbitHa.Testing.Containers;

/// <summary>Observation: the cluster's state as the management API and HAProxy's statistics report it, what healthy means, and the nodes' logs.</summary>
public sealed partial class ContainerCluster
{
    private const string ProxyBackend = "rabbitmq";

    // The management API lists a connection once the node emits its statistics, every 5 s by default
    // (collect_statistics_interval), so a connection just opened is usually missing for 3 to 5 s.
    private static readonly TimeSpan DefaultConnectionWait = TimeSpan.FromSeconds(10);

    /// <inheritdoc />
    public Task<IReadOnlyList<ClusterNodeState>> GetNodeStatesAsync(CancellationToken cancellationToken = default) =>
        AskAnyNodeAsync((uri, ct) => _management.GetNodesAsync(uri, ct), cancellationToken);

    /// <inheritdoc />
    public IRabbitHaClusterNode GetNode(string nodeName) => _nodes.Get(nodeName, nameof(nodeName));

    internal Task<IReadOnlyList<ProxyBackendState>> GetProxyBackendsAsync(CancellationToken cancellationToken)
    {
        ThrowIfNotStarted();
        return _management.GetProxyBackendsAsync(Proxy.StatsUri, ProxyBackend, cancellationToken);
    }

    /// <inheritdoc />
    public Task<QueueReplicaState?> GetQueueReplicasAsync(string queue, string virtualHost = "/", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        ArgumentException.ThrowIfNullOrEmpty(virtualHost);
        return FindOnAnyNodeAsync((uri, ct) => _management.GetQueueAsync(uri, virtualHost, queue, ct), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IRabbitHaClusterNode?> FindConnectionNodeAsync(string clientProvidedName, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
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
                // Null for a name that is none of this cluster's nodes, as a missing connection is: nothing to act on.
                return _nodes.Find(nodeName);
            }

            var left = limit - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                return null;
            }

            await Task.Delay(left < PollInterval ? left : PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    internal async Task<string> GetNodeLogAsync(int node, CancellationToken cancellationToken)
    {
        var container = NodeContainer(node);
        var (stdout, stderr) = await container.GetLogsAsync(timestampsEnabled: false, ct: cancellationToken).ConfigureAwait(false);
        return stdout + stderr;
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

    private sealed class Observation
    {
        public IReadOnlyList<ClusterNodeState>? Nodes { get; set; }

        public string? NodesError { get; set; }

        public IReadOnlyList<ProxyBackendState>? Backends { get; set; }

        public string? BackendsError { get; set; }
    }
}
