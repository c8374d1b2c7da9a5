namespace RabbitHa.Testing;

/// <summary>Where to reach one RabbitMQ node of the cluster directly, bypassing HAProxy.</summary>
/// <param name="Number">The node number, from 1.</param>
/// <param name="HostName">The node's host name inside the cluster network, e.g. <c>rmq1</c>.</param>
/// <param name="AmqpUri">The node's AMQP address on the loopback interface, with credentials.</param>
/// <param name="ManagementUri">The node's management HTTP API base address, e.g. <c>http://127.0.0.1:49160/</c>.</param>
public sealed record ClusterNodeEndpoints(int Number, string HostName, Uri AmqpUri, Uri ManagementUri)
{
    /// <summary>
    /// Gets the node's AMQP-over-TLS address on the loopback interface, with credentials; <see langword="null"/> unless the
    /// cluster has TLS on (<see cref="IRabbitHaCluster.TlsEnabled"/>). Its certificate is for <see cref="HostName"/>,
    /// <c>localhost</c> and <c>127.0.0.1</c>, signed by the cluster's CA (<see cref="IRabbitHaCluster.CaCertificatePath"/>).
    /// </summary>
    public Uri? AmqpsUri { get; init; }

    /// <summary>Gets the Erlang node name, e.g. <c>rabbit@rmq1</c>.</summary>
    public string NodeName => "rabbit@" + HostName;
}
