namespace RabbitHa.Testing;

/// <summary>
/// Which RabbitMQ line a cluster runs, and so how it replicates queues. The value is the major version, so
/// <c>(int)profile</c> gives 3 or 4.
/// </summary>
/// <remarks>
/// Choose it with <see cref="Containers.ContainerClusterBuilder.WithRabbitMqProfile"/>, or for every cluster of a test run
/// with the environment variable <c>RABBITHA_RABBITMQ_PROFILE</c> (<c>3</c> or <c>4</c>); <see cref="IRabbitHaCluster.RabbitMqProfile"/>
/// tells a test which one it got.
/// </remarks>
public enum RabbitMqProfile
{
    /// <summary>
    /// RabbitMQ 3 (up to 3.13) with mirrored classic queues: the policy <c>ha-all</c> mirrors every queue to every node.
    /// Quorum queues work too, declared with <c>x-queue-type: quorum</c>. The default.
    /// </summary>
    RabbitMq3 = 3,

    /// <summary>
    /// RabbitMQ 4, which removed classic queue mirroring: no <c>ha-*</c> policy, and quorum is the virtual host's default
    /// queue type, so a durable queue declared without <c>x-queue-type</c> is a quorum queue with a member on every node.
    /// A queue declared with <c>x-queue-type: classic</c> lives on one node only, and is lost with it.
    /// </summary>
    RabbitMq4 = 4,
}
