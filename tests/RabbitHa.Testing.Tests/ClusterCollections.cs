using RabbitHa.Testing.Xunit;
using Xunit;

namespace RabbitHa.Testing.Tests;

/// <summary>Tests that only read from the cluster: they share one cluster and may run beside other collections.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<RabbitHaClusterFixture>
{
    public const string Name = "Cluster";
}

/// <summary>Tests that break the cluster: their own cluster, run alone, one test at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ChaosCollection : ICollectionFixture<RabbitHaClusterFixture>
{
    public const string Name = "Chaos";
}

/// <summary>The whole-cluster restart: a cluster of its own, so that the other chaos tests do not start from what it leaves.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WholeClusterCollection : ICollectionFixture<RabbitHaClusterFixture>
{
    public const string Name = "Whole cluster";
}
