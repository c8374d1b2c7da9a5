using RabbitHa.Testing.Management;
using Xunit;

namespace RabbitHa.Testing.Tests;

[Trait("Category", "Unit")]
public sealed class ProxyStatsCsvTests
{
    // The first columns of HAProxy 2.6's CSV, as its stats page serves them.
    private const string Csv = """
        # pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,
        amqp,FRONTEND,,,4,5,3000,9,100,200,0,0,0,,,,,OPEN,,
        rabbitmq,rmq1,0,0,2,3,,5,50,90,,0,,0,0,0,0,UP,1,
        rabbitmq,rmq2,0,0,0,1,,2,10,20,,0,,3,0,0,0,DOWN,1,
        rabbitmq,rmq3,0,0,2,2,,2,40,90,,0,,0,0,0,0,MAINT (resolution),1,
        rabbitmq,BACKEND,0,0,4,5,300,9,100,200,0,0,,3,0,0,0,UP,2,
        stats,FRONTEND,,,1,1,3000,1,0,0,0,0,0,,,,,OPEN,,
        """;

    [Fact]
    public void ParseServers_ReturnsTheBackendServersOnly()
    {
        var servers = ProxyStatsCsv.ParseServers(Csv, "rabbitmq");

        Assert.Equal(
            [new ProxyBackendState("rmq1", "UP", 2), new ProxyBackendState("rmq2", "DOWN", 0), new ProxyBackendState("rmq3", "MAINT (resolution)", 2)],
            servers);
    }

    [Theory]
    [InlineData("UP", true)]
    [InlineData("UP 1/2", true)]
    [InlineData("DOWN", false)]
    [InlineData("DOWN 1/2", false)]
    [InlineData("MAINT (resolution)", false)]
    [InlineData("no check", false)]
    public void IsUp_FollowsHaProxysStatusText(string status, bool up) =>
        Assert.Equal(up, new ProxyBackendState("rmq1", status, 0).IsUp);

    [Fact]
    public void ParseServers_WithoutHeader_ThrowsFormatException()
    {
        var ex = Assert.Throws<FormatException>(() => ProxyStatsCsv.ParseServers("<html>login</html>", "rabbitmq"));
        Assert.Contains("header", ex.Message, StringComparison.Ordinal);
    }
}
