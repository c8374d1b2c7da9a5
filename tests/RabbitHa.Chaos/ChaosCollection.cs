using Xunit;

namespace RabbitHa.Chaos;

/// <summary>
/// Every chaos scenario: one cluster of their own, one scenario at a time. Each scenario leaves the cluster
/// healthy (restored in <c>finally</c>, then <c>WaitUntilHealthyAsync</c>) for the next one.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ChaosCollection : ICollectionFixture<ChaosClusterFixture>
{
    public const string Name = "Chaos suite";
}
