namespace RabbitHa.Testing.Containers;

/// <summary>
/// The HAProxy of a <see cref="ContainerCluster"/>: its statistics page, and its operations handed to the cluster, which
/// owns the container and the Docker client they act on.
/// </summary>
internal sealed class ContainerClusterProxy : IRabbitHaClusterProxy
{
    private readonly ContainerCluster _cluster;

    public ContainerClusterProxy(ContainerCluster cluster, Uri statsUri, string statsUserName, string statsPassword)
    {
        _cluster = cluster;
        StatsUri = statsUri;
        StatsUserName = statsUserName;
        StatsPassword = statsPassword;
    }

    /// <inheritdoc />
    public Uri StatsUri { get; }

    /// <inheritdoc />
    public string StatsUserName { get; }

    /// <inheritdoc />
    public string StatsPassword { get; }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken = default) => _cluster.StopProxyAsync(cancellationToken);

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken = default) => _cluster.StartProxyAsync(cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<ProxyBackendState>> GetBackendsAsync(CancellationToken cancellationToken = default) =>
        _cluster.GetProxyBackendsAsync(cancellationToken);

    /// <summary>What a test message names it by. Not the statistics page's address alone, nor its login.</summary>
    public override string ToString() => "haproxy";
}
