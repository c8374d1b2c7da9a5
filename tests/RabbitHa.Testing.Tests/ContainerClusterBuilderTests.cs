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
    }

    [Fact]
    public void Build_GivesEachClusterGeneratedCredentials_InEveryAmqpUri()
    {
        var first = new ContainerClusterBuilder().Build();
        var second = new ContainerClusterBuilder().Build();

        Assert.NotEqual(first.UserName, second.UserName);
        Assert.NotEqual(first.Password, second.Password);
        Assert.NotEqual(first.ProxyStatsUserName, second.ProxyStatsUserName);
        Assert.NotEqual(first.ProxyStatsPassword, second.ProxyStatsPassword);
        Assert.NotEqual(first.Password, first.ProxyStatsPassword);
        Assert.All([first.Password, first.ProxyStatsPassword], p => Assert.Matches("^[A-Za-z0-9_-]{32}$", p));
        Assert.All([first.UserName, first.ProxyStatsUserName], u => Assert.Matches("^[a-z]+-[a-z0-9]{8}$", u));
        Assert.All(first.Nodes.Select(n => n.AmqpUri).Append(first.AmqpUri), u => Assert.Equal($"{first.UserName}:{first.Password}", u.UserInfo));
    }

    [Fact]
    public async Task FindConnectionNode_WithNegativeTimeout_ThrowsNamingTheParameter()
    {
        var cluster = new ContainerClusterBuilder().Build();

        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            () => cluster.FindConnectionNodeAsync("a-connection", TimeSpan.FromSeconds(-1)));
        Assert.Equal("timeout", ex.ParamName);
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
