using System.Diagnostics;
using System.Globalization;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Containers;

namespace RabbitHa.Testing.Containers;

/// <summary>Chaos: the Docker and <c>rabbitmqctl</c> operations behind <see cref="IRabbitHaClusterNode"/> and <see cref="IRabbitHaClusterProxy"/>.</summary>
public sealed partial class ContainerCluster
{
    internal async Task KillNodeAsync(int node, CancellationToken cancellationToken = default)
    {
        var container = NodeContainer(node);
        _configuration.Log($"Killing rmq{node} (SIGKILL).");
        MarkStopped(node);
        // From outside the container: PID 1 of a container ignores SIGKILL sent from inside it.
        await Docker.Containers.KillContainerAsync(container.Id, new ContainerKillParameters { Signal = "KILL" }, cancellationToken)
            .ConfigureAwait(false);
    }

    internal Task StopNodeAsync(int node, CancellationToken cancellationToken = default)
    {
        var container = NodeContainer(node);
        _configuration.Log($"Stopping rmq{node}.");
        MarkStopped(node);
        return container.StopAsync(cancellationToken);
    }

    internal async Task StartNodeAsync(int node, CancellationToken cancellationToken = default)
    {
        var container = NodeContainer(node);
        _configuration.Log($"Starting rmq{node}.");
        var clock = Stopwatch.StartNew();
        var since = DateTime.UtcNow;
        await container.StartAsync(cancellationToken).ConfigureAwait(false);
        // The container's wait strategy reads logs from whole seconds on, so a node restarted within
        // the second it was killed finds its previous "startup complete" line: wait for a new one.
        await WaitUntilBootedAsync(node, since, cancellationToken).ConfigureAwait(false);
        _configuration.Log($"rmq{node} running after {clock.Elapsed.TotalSeconds:F1} s.");
    }

    internal Task DisconnectNodeAsync(int node, CancellationToken cancellationToken = default)
    {
        var container = NodeContainer(node);
        _configuration.Log($"Disconnecting rmq{node} from the cluster network.");
        return Docker.Networks.DisconnectNetworkAsync(
            _network!.Name,
            new NetworkDisconnectParameters { Container = container.Id, Force = true },
            cancellationToken);
    }

    internal Task ReconnectNodeAsync(int node, CancellationToken cancellationToken = default)
    {
        var container = NodeContainer(node);
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

    internal Task PauseNodeAsync(int node, CancellationToken cancellationToken = default)
    {
        var container = NodeContainer(node);
        _configuration.Log($"Pausing rmq{node}.");
        return container.PauseAsync(cancellationToken);
    }

    internal Task UnpauseNodeAsync(int node, CancellationToken cancellationToken = default)
    {
        var container = NodeContainer(node);
        _configuration.Log($"Unpausing rmq{node}.");
        return container.UnpauseAsync(cancellationToken);
    }

    internal Task RaiseMemoryAlarmAsync(int node, CancellationToken cancellationToken = default)
    {
        _configuration.Log($"Raising the memory alarm of rmq{node}.");
        return RabbitMqCtlAsync(node, ["set_vm_memory_high_watermark", "0.000001"], cancellationToken);
    }

    internal Task SetMemoryHighWatermarkAsync(int node, long bytes, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        _configuration.Log($"Setting the memory high watermark of rmq{node} to {bytes} bytes.");
        return RabbitMqCtlAsync(node, ["set_vm_memory_high_watermark", "absolute", bytes.ToString(CultureInfo.InvariantCulture)], cancellationToken);
    }

    internal Task ClearMemoryAlarmAsync(int node, CancellationToken cancellationToken = default)
    {
        _configuration.Log($"Clearing the memory alarm of rmq{node}.");
        return RabbitMqCtlAsync(node, ["set_vm_memory_high_watermark", ClusterResources.DefaultMemoryHighWatermark(RabbitMqProfile)], cancellationToken);
    }

    // Killed rather than asked to finish its sessions: AMQP connections are long-lived, and a graceful stop would wait for them.
    internal Task StopProxyAsync(CancellationToken cancellationToken = default)
    {
        var proxy = ProxyContainer();
        _configuration.Log("Stopping HAProxy.");
        return Docker.Containers.KillContainerAsync(proxy.Id, new ContainerKillParameters { Signal = "KILL" }, cancellationToken);
    }

    internal Task StartProxyAsync(CancellationToken cancellationToken = default)
    {
        var proxy = ProxyContainer();
        _configuration.Log("Starting HAProxy.");
        return proxy.StartAsync(cancellationToken);
    }

    private async Task RabbitMqCtlAsync(int node, string[] arguments, CancellationToken cancellationToken)
    {
        var container = NodeContainer(node);
        var result = await container.ExecAsync(["rabbitmqctl", .. arguments], cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"rabbitmqctl {string.Join(' ', arguments)} on rmq{node} exited with {result.ExitCode}: {result.Stderr.Trim()} {result.Stdout.Trim()}");
        }
    }

    /// <summary>The container of a node; its number comes from a node handle or a checked order, so it is in range.</summary>
    private IContainer NodeContainer(int node)
    {
        ThrowIfNotStarted();
        return _nodeContainers[node - 1];
    }

    private IContainer ProxyContainer()
    {
        ThrowIfNotStarted();
        return _proxyContainer!;
    }
}
