namespace RabbitHa.Testing.Containers;

/// <summary>What <see cref="ContainerClusterBuilder"/> builds a cluster from.</summary>
internal sealed record ContainerClusterConfiguration(
    RabbitMqProfile Profile,
    string RabbitMqImage,
    string HaProxyImage,
    TimeSpan StartupTimeout,
    Action<string> Log);
