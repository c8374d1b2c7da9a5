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
    public void WithRabbitMqProfile_WhenNotAProfile_ThrowsNamingTheParameter()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ContainerClusterBuilder().WithRabbitMqProfile((RabbitMqProfile)5));
        Assert.Equal("profile", ex.ParamName);
    }

    [Fact]
    public void Build_WithNothingConfigured_RunsRabbitMq3OnThePublicImages()
    {
        var configuration = Builder([]).Build().Configuration;

        Assert.Equal(RabbitMqProfile.RabbitMq3, configuration.Profile);
        Assert.Equal("rabbitmq:3.13-management", configuration.RabbitMqImage);
        Assert.Equal("haproxy:2.8", configuration.HaProxyImage);
    }

    [Fact]
    public void Build_WithProfileVariable4_RunsRabbitMq4OnItsPublicImages()
    {
        var cluster = Builder(new() { [ContainerClusterBuilder.RabbitMqProfileVariable] = " 4 " }).Build();

        Assert.Equal(RabbitMqProfile.RabbitMq4, cluster.RabbitMqProfile);
        Assert.Equal("rabbitmq:4.0-management", cluster.Configuration.RabbitMqImage);
        Assert.Equal("haproxy:3.0", cluster.Configuration.HaProxyImage);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("4.0")]
    [InlineData("RabbitMq4")]
    public void Build_WithProfileVariableNeither3Nor4_ThrowsNamingTheVariableAndTheValue(string value)
    {
        var builder = Builder(new() { [ContainerClusterBuilder.RabbitMqProfileVariable] = value });

        var ex = Assert.Throws<InvalidOperationException>(() => builder.Build());

        Assert.Contains(ContainerClusterBuilder.RabbitMqProfileVariable, ex.Message, StringComparison.Ordinal);
        Assert.Contains($"'{value}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_WithProfileInCode_IgnoresTheProfileVariable()
    {
        var builder = Builder(new() { [ContainerClusterBuilder.RabbitMqProfileVariable] = "not a profile" })
            .WithRabbitMqProfile(RabbitMqProfile.RabbitMq4);

        Assert.Equal(RabbitMqProfile.RabbitMq4, builder.Build().RabbitMqProfile);
    }

    [Fact]
    public void Build_TakesImagesFromCode_ThenTheVariables_ThenTheProfilesDefaults()
    {
        var environment = new Dictionary<string, string?>
        {
            [ContainerClusterBuilder.RabbitMqProfileVariable] = "4",
            [ContainerClusterBuilder.RabbitMqImageVariable] = "local/rabbitmq:4",
            [ContainerClusterBuilder.HaProxyImageVariable] = "local/haproxy:3",
        };

        var fromVariables = Builder(environment).Build().Configuration;
        var fromCode = Builder(environment).WithRabbitMqImage("mine/rabbitmq:4.0").Build().Configuration;

        Assert.Equal(("local/rabbitmq:4", "local/haproxy:3"), (fromVariables.RabbitMqImage, fromVariables.HaProxyImage));
        Assert.Equal(("mine/rabbitmq:4.0", "local/haproxy:3"), (fromCode.RabbitMqImage, fromCode.HaProxyImage));
    }

    [Fact]
    public void Build_GivesEveryEndpointItsOwnLoopbackPort()
    {
        var cluster = new ContainerClusterBuilder().Build();

        var ports = cluster.Nodes.SelectMany(n => new[] { n.AmqpUri.Port, n.ManagementUri.Port })
            .Append(cluster.AmqpUri.Port)
            .Append(cluster.Proxy.StatsUri.Port)
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
        Assert.NotEqual(first.Proxy.StatsUserName, second.Proxy.StatsUserName);
        Assert.NotEqual(first.Proxy.StatsPassword, second.Proxy.StatsPassword);
        Assert.NotEqual(first.Password, first.Proxy.StatsPassword);
        Assert.All([first.Password, first.Proxy.StatsPassword], p => Assert.Matches("^[A-Za-z0-9_-]{32}$", p));
        Assert.All([first.UserName, first.Proxy.StatsUserName], u => Assert.Matches("^[a-z]+-[a-z0-9]{8}$", u));
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

        await Assert.ThrowsAsync<InvalidOperationException>(() => cluster.Nodes[0].KillAsync());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(3)]
    public void Nodes_AtAnIndexOutOfRange_ThrowsNamingTheValidIndexes(int index)
    {
        var cluster = new ContainerClusterBuilder().Build();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => cluster.Nodes[index]);
        Assert.Equal("index", ex.ParamName);
        Assert.Contains("indexes 0 to 2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Nodes[N - 1]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nodes_AreNumberedFromOne_InNodeOrder()
    {
        var cluster = new ContainerClusterBuilder().Build();

        Assert.Equal([1, 2, 3], cluster.Nodes.Select(n => n.Number));
        Assert.Equal(["rmq1", "rmq2", "rmq3"], cluster.Nodes.Select(n => n.HostName));
        Assert.Equal("rmq2", cluster.Nodes[1].ToString());
    }

    [Theory]
    [InlineData("rabbit@rmq2")]
    [InlineData("rmq2")]
    public void GetNode_ByErlangNodeNameOrHostName_FindsTheNode(string name)
    {
        var cluster = new ContainerClusterBuilder().Build();

        Assert.Same(cluster.Nodes[1], cluster.GetNode(name));
    }

    [Theory]
    [InlineData("rabbit@rmq4")]
    [InlineData("rabbit@elsewhere")]
    [InlineData("rmq")]
    public void GetNode_WithANameOfNoNode_ThrowsListingTheNodes(string name)
    {
        var cluster = new ContainerClusterBuilder().Build();

        var ex = Assert.Throws<ArgumentException>(() => cluster.GetNode(name));
        Assert.Equal("nodeName", ex.ParamName);
        Assert.Contains("rabbit@rmq1 (rmq1), rabbit@rmq2 (rmq2), rabbit@rmq3 (rmq3)", ex.Message, StringComparison.Ordinal);
    }

    private static ContainerClusterBuilder Builder(Dictionary<string, string?> environment) =>
        new(name => environment.GetValueOrDefault(name));
}
