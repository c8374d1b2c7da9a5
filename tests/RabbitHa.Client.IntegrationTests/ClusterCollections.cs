using RabbitHa.Testing.Xunit;
using Xunit;

namespace RabbitHa.Client.IntegrationTests;

/// <summary>Tests that leave the cluster as they found it: they share one cluster and may run in parallel with other collections.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<RabbitHaClusterFixture>
{
    public const string Name = "Cluster";
}

/// <summary>Tests that break the cluster (kill, stop, partition nodes; stop HAProxy): their own cluster, one test at a time, alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ChaosCollection : ICollectionFixture<RabbitHaClusterFixture>
{
    public const string Name = "Chaos";
}
