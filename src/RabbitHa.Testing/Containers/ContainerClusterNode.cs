namespace RabbitHa.Testing.Containers;

/// <summary>
/// A node of a <see cref="ContainerCluster"/>: its endpoints, and its operations handed to the cluster, which owns the
/// containers, the network and the Docker client they act on.
/// </summary>
internal sealed class ContainerClusterNode : IRabbitHaClusterNode
{
    private readonly ContainerCluster _cluster;

    public ContainerClusterNode(ContainerCluster cluster, int number, Uri amqpUri, Uri? amqpsUri, Uri managementUri)
    {
        _cluster = cluster;
        Number = number;
        HostName = ClusterResources.HostName(number);
        AmqpUri = amqpUri;
        AmqpsUri = amqpsUri;
        ManagementUri = managementUri;
    }

    /// <inheritdoc />
    public int Number { get; }

    /// <inheritdoc />
    public string HostName { get; }

    /// <inheritdoc />
    public string NodeName => "rabbit@" + HostName;

    /// <inheritdoc />
    public Uri AmqpUri { get; }

    /// <inheritdoc />
    public Uri? AmqpsUri { get; }

    /// <inheritdoc />
    public Uri ManagementUri { get; }

    /// <inheritdoc />
    public Task KillAsync(CancellationToken cancellationToken = default) => _cluster.KillNodeAsync(Number, cancellationToken);

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken = default) => _cluster.StopNodeAsync(Number, cancellationToken);

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken = default) => _cluster.StartNodeAsync(Number, cancellationToken);

    /// <inheritdoc />
    public Task DisconnectAsync(CancellationToken cancellationToken = default) => _cluster.DisconnectNodeAsync(Number, cancellationToken);

    /// <inheritdoc />
    public Task ReconnectAsync(CancellationToken cancellationToken = default) => _cluster.ReconnectNodeAsync(Number, cancellationToken);

    /// <inheritdoc />
    public Task PauseAsync(CancellationToken cancellationToken = default) => _cluster.PauseNodeAsync(Number, cancellationToken);

    /// <inheritdoc />
    public Task UnpauseAsync(CancellationToken cancellationToken = default) => _cluster.UnpauseNodeAsync(Number, cancellationToken);

    /// <inheritdoc />
    public Task RaiseMemoryAlarmAsync(CancellationToken cancellationToken = default) => _cluster.RaiseMemoryAlarmAsync(Number, cancellationToken);

    /// <inheritdoc />
    public Task SetMemoryHighWatermarkAsync(long bytes, CancellationToken cancellationToken = default) =>
        _cluster.SetMemoryHighWatermarkAsync(Number, bytes, cancellationToken);

    /// <inheritdoc />
    public Task ClearMemoryAlarmAsync(CancellationToken cancellationToken = default) => _cluster.ClearMemoryAlarmAsync(Number, cancellationToken);

    /// <inheritdoc />
    public Task<string> GetLogAsync(CancellationToken cancellationToken = default) => _cluster.GetNodeLogAsync(Number, cancellationToken);

    /// <summary>The host name: what a test message names the node by. Not the endpoints, which carry the password.</summary>
    public override string ToString() => HostName;
}
