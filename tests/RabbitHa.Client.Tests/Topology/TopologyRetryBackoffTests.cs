namespace RabbitHa.Client.Tests.Topology;

[Trait("Category", "Unit")]
public sealed class TopologyRetryBackoffTests
{
    [Fact]
    public void Next_DoublesFromOneSecondUpToThirtySeconds()
    {
        var backoff = new TopologyRetryBackoff(TopologyRetryBackoff.DefaultDelay, TopologyRetryBackoff.DefaultMaxDelay, random: () => 0.5);

        double[] seconds = Enumerable.Range(0, 8).Select(_ => backoff.Next().TotalSeconds).ToArray();

        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], seconds);
        Assert.Equal(8, backoff.Attempt);
    }

    [Theory]
    [InlineData(0.0, 0.8)]
    [InlineData(0.999_999, 1.2)]
    public void Next_JittersByUpToTwentyPercent(double random, double factor)
    {
        var backoff = new TopologyRetryBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), () => random);

        Assert.Equal(factor, backoff.Next().TotalSeconds, precision: 3);
        Assert.Equal(2 * factor, backoff.Next().TotalSeconds, precision: 3);
    }

    [Fact]
    public void Reset_StartsAgainFromTheShortestDelay()
    {
        var backoff = new TopologyRetryBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), () => 0.5);
        backoff.Next();
        backoff.Next();
        backoff.Next();

        backoff.Reset();

        Assert.Equal(0, backoff.Attempt);
        Assert.Equal(TimeSpan.FromSeconds(1), backoff.Next());
    }

    [Fact]
    public void Constructor_WhenMaxDelayIsShorterThanDelay_ThrowsNamingIt()
    {
        Assert.Equal("maxDelay", Assert.Throws<ArgumentOutOfRangeException>(
            () => new TopologyRetryBackoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1))).ParamName);
    }
}
