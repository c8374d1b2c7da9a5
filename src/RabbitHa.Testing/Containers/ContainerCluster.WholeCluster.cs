using System.Diagnostics;
using System.Globalization;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Containers;

namespace RabbitHa.Testing.Containers;

/// <summary>The whole-cluster outage: every node stopped, then started again in an order the caller picks.</summary>
public sealed partial class ContainerCluster
{
    /// <summary>How far apart <see cref="StartAllNodesAsync"/> starts the nodes when the caller does not say.</summary>
    private static readonly TimeSpan DefaultStartInterval = TimeSpan.FromSeconds(2);

    /// <summary>How long the error of a node that exited during its boot quotes of its log.</summary>
    private const int LogTailLines = 15;

    /// <summary>When each node was last killed or stopped (<see cref="Stopwatch"/> timestamps; 0: never).</summary>
    private readonly long[] _stoppedAt = new long[ClusterResources.NodeCount];

    /// <inheritdoc />
    public async Task StopAllNodesAsync(IReadOnlyList<int>? order = null, CancellationToken cancellationToken = default)
    {
        int[] nodes = NodeOrder(order, nameof(order)) ?? [.. Enumerable.Range(1, NodeCount)];
        _configuration.Log($"Stopping the whole cluster: {Describe(nodes)}, each after the previous one has stopped.");
        var clock = Stopwatch.StartNew();
        foreach (int node in nodes)
        {
            await StopNodeAsync(node, cancellationToken).ConfigureAwait(false);
        }

        _configuration.Log($"Every node stopped after {clock.Elapsed.TotalSeconds:F1} s; rmq{nodes[^1]} stopped last.");
    }

    /// <inheritdoc />
    public async Task StartAllNodesAsync(IReadOnlyList<int>? order = null, TimeSpan? interval = null, CancellationToken cancellationToken = default)
    {
        int[]? given = NodeOrder(order, nameof(order));
        TimeSpan gap = interval ?? DefaultStartInterval;
        ArgumentOutOfRangeException.ThrowIfLessThan(gap, TimeSpan.Zero, nameof(interval));
        ThrowIfNotStarted();
        int[] nodes = given ?? LastStoppedFirst();

        _configuration.Log($"Starting the whole cluster: {Describe(nodes)}, {gap.TotalSeconds:F1} s apart"
            + (nodes.SequenceEqual(LastStoppedFirst()) ? " (the last to stop first)." : $" (rmq{LastStoppedFirst()[0]} stopped last: it is not first)."));
        var clock = Stopwatch.StartNew();
        var booted = new List<Task>(nodes.Length);
        for (int i = 0; i < nodes.Length; i++)
        {
            if (i > 0 && gap > TimeSpan.Zero)
            {
                await Task.Delay(gap, cancellationToken).ConfigureAwait(false);
            }

            int node = nodes[i];
            IContainer container = NodeContainer(node);
            DateTime since = DateTime.UtcNow;
            // Docker's own start, not the container's StartAsync, which waits for this node's boot: a node that did not
            // stop last waits for one that did, so awaiting each boot before the next start hangs in the wrong order.
            await Docker.Containers.StartContainerAsync(container.Id, new ContainerStartParameters(), cancellationToken).ConfigureAwait(false);
            booted.Add(WaitUntilBootedAsync(node, since, cancellationToken));
        }

        await Task.WhenAll(booted).ConfigureAwait(false);
        _configuration.Log($"Every node running after {clock.Elapsed.TotalSeconds:F1} s.");
    }

    /// <summary>
    /// Waits until a node started at <paramref name="since"/> logs that its boot is complete. A node that exits instead
    /// (RabbitMQ gives up after waiting 5 minutes for the peer that stopped last) fails the wait with the end of its log.
    /// </summary>
    private async Task WaitUntilBootedAsync(int node, DateTime since, CancellationToken cancellationToken)
    {
        IContainer container = NodeContainer(node);
        while (!await HasLoggedSinceAsync(container, NodeStartedMessage, since, cancellationToken).ConfigureAwait(false))
        {
            ContainerInspectResponse inspected = await Docker.Containers.InspectContainerAsync(container.Id, cancellationToken).ConfigureAwait(false);
            if (inspected.State is { Running: false } state)
            {
                string log = await GetNodeLogAsync(node, cancellationToken).ConfigureAwait(false);
                string tail = string.Join(Environment.NewLine, log.Split('\n').TakeLast(LogTailLines));
                throw new InvalidOperationException(
                    $"rmq{node} of cluster {Id} exited with status {state.ExitCode} during its boot. The end of its log:{Environment.NewLine}{tail}");
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
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

    private void MarkStopped(int node) => Volatile.Write(ref _stoppedAt[node - 1], Stopwatch.GetTimestamp());

    /// <summary>The nodes, the last one to stop first: the order RabbitMQ asks for after a whole-cluster stop.</summary>
    private int[] LastStoppedFirst() =>
        [.. Enumerable.Range(1, NodeCount).OrderByDescending(n => Volatile.Read(ref _stoppedAt[n - 1])).ThenBy(n => n)];

    /// <summary>Checks that <paramref name="order"/> names every node once.</summary>
    private int[]? NodeOrder(IReadOnlyList<int>? order, string parameter)
    {
        if (order is null)
        {
            return null;
        }

        if (order.Count != NodeCount || !order.Order().SequenceEqual(Enumerable.Range(1, NodeCount)))
        {
            throw new ArgumentException(
                $"An order of the whole cluster names every node from 1 to {NodeCount} once, not [{string.Join(", ", order)}].", parameter);
        }

        return [.. order];
    }

    private static string Describe(int[] nodes) =>
        string.Join(", ", nodes.Select(n => "rmq" + n.ToString(CultureInfo.InvariantCulture)));
}
