namespace RabbitHa.Testing;

/// <summary>
/// The HAProxy of an <see cref="IRabbitHaCluster"/>, in front of every node on <see cref="IRabbitHaCluster.AmqpUri"/>:
/// its statistics page, how it sees the nodes, and the operations that take it away and bring it back.
/// </summary>
/// <remarks>The statistics page has a login of its own, generated for the cluster, apart from the RabbitMQ user.</remarks>
public interface IRabbitHaClusterProxy
{
    /// <summary>Gets the HAProxy statistics page (HTTP basic authentication: <see cref="StatsUserName"/> / <see cref="StatsPassword"/>).</summary>
    Uri StatsUri { get; }

    /// <summary>Gets the user name of the statistics page, generated for this cluster.</summary>
    string StatsUserName { get; }

    /// <summary>Gets the password of the statistics page, random like <see cref="IRabbitHaCluster.Password"/>.</summary>
    string StatsPassword { get; }

    /// <summary>Stops HAProxy: every client connection through it drops and new ones are refused.</summary>
    /// <remarks>HAProxy is killed rather than asked to finish its sessions: AMQP connections are long-lived, and a
    /// graceful stop would wait for them. Every client connection through it drops at once.</remarks>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <exception cref="InvalidOperationException">The cluster has not been started.</exception>
    Task StopAsync(CancellationToken cancellationToken = default);

    /// <summary>Starts HAProxy again on the same port.</summary>
    /// <inheritdoc cref="StopAsync" path="/param"/>
    /// <inheritdoc cref="StopAsync" path="/exception"/>
    Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>Gets HAProxy's view of its backend servers, one per node, in node order.</summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <exception cref="InvalidOperationException">The cluster has not been started.</exception>
    /// <exception cref="HttpRequestException">HAProxy did not answer (for example while it is stopped).</exception>
    Task<IReadOnlyList<ProxyBackendState>> GetBackendsAsync(CancellationToken cancellationToken = default);
}
