namespace RabbitHa.Testing.Containers;

/// <summary>What <see cref="ContainerClusterBuilder"/> builds a cluster from.</summary>
internal sealed record ContainerClusterConfiguration(
    RabbitMqProfile Profile,
    string RabbitMqImage,
    string HaProxyImage,
    TimeSpan StartupTimeout,
    Action<string> Log)
{
    /// <summary>Gets whether the nodes and HAProxy also listen for AMQP over TLS (<see cref="ContainerClusterBuilder.WithTls"/>).</summary>
    public bool Tls { get; init; }
}
