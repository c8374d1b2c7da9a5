using RabbitHa.Testing.Containers;
using Xunit;

namespace RabbitHa.Testing.Tests;

[Trait("Category", "Unit")]
public sealed class ContainerClusterBuilderTests
{
    [Fact]
    public void WithRabbitMqImage_WhenBlank_ThrowsNamingTheParameter()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ContainerClusterBuilder().WithRabbitMqImage(" "));
        Assert.Equal("image", ex.ParamName);
    }

    [Fact]
    public void WithHaProxyImage_WhenNull_ThrowsNamingTheParameter()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => new ContainerClusterBuilder().WithHaProxyImage(null!));
        Assert.Equal("image", ex.ParamName);
    }

    [Fact]
    public void WithStartupTimeout_WhenZero_ThrowsNamingTheParameter()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ContainerClusterBuilder().WithStartupTimeout(TimeSpan.Zero));
        Assert.Equal("timeout", ex.ParamName);
    }

    [Fact]
    public void Build_GivesEveryEndpointItsOwnLoopbackPort()
    {
        var cluster = new ContainerClusterBuilder().Build();

        var ports = cluster.Nodes.SelectMany(n => new[] { n.AmqpUri.Port, n.ManagementUri.Port })
            .Append(cluster.AmqpUri.Port)
            .Append(cluster.ProxyStatsUri.Port)
            .ToArray();
        Assert.Equal(8, ports.Distinct().Count());
        Assert.All(cluster.Nodes.Select(n => n.AmqpUri).Append(cluster.AmqpUri), u => Assert.Equal("127.0.0.1", u.Host));
        Assert.Equal(["rabbit@rmq1", "rabbit@rmq2", "rabbit@rmq3"], cluster.Nodes.Select(n => n.NodeName));
        Assert.Equal("guest:guest", cluster.AmqpUri.UserInfo);
    }

    [Fact]
    public async Task ChaosOperation_BeforeStart_ThrowsInvalidOperation()
    {
        var cluster = new ContainerClusterBuilder().Build();

        await Assert.ThrowsAsync<InvalidOperationException>(() => cluster.KillNodeAsync(1));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public async Task ChaosOperation_WithUnknownNode_ThrowsNamingTheParameter(int node)
    {
        var cluster = new ContainerClusterBuilder().Build();

        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => cluster.StopNodeAsync(node));
        Assert.Equal("node", ex.ParamName);
    }
}
