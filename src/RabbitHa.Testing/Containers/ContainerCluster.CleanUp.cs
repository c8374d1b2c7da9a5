using Docker.DotNet;
using Docker.DotNet.Models;

namespace RabbitHa.Testing.Containers;

/// <summary>Clean-up: what <see cref="DisposeAsync"/> removes, and the sweep by label for what a failed start left behind.</summary>
public sealed partial class ContainerCluster
{
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
        var containers = _proxyContainer is null ? _nodeContainers : _nodeContainers.Append(_proxyContainer);
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
}
