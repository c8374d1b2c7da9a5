using RabbitHa.Testing.Xunit;

namespace RabbitHa.Redis.Tests.Chaos;

/// <summary>Tests that break the RabbitMQ cluster or Redis: a cluster of their own, one test at a time, alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ChaosCollection : ICollectionFixture<RabbitHaClusterFixture>
{
    public const string Name = "Chaos";
}
