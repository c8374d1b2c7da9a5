using RabbitHa.Client.Internal.Connection;
using RabbitMQ.Client;

namespace RabbitHa.Client.Tests;

[Trait("Category", "Unit")]
public sealed class OrderedEndpointResolverTests
{
    [Fact]
    public void All_ReturnsEndpointsInTheGivenOrder_EveryTime()
    {
        AmqpTcpEndpoint[] endpoints = Enumerable.Range(1, 8).Select(i => new AmqpTcpEndpoint($"rabbit{i}", 5672)).ToArray();
        var resolver = new OrderedEndpointResolver(endpoints);

        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(endpoints, resolver.All());
        }
    }

    [Fact]
    public void Constructor_WhenNull_ThrowsArgumentNullExceptionNamingEndpoints()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => new OrderedEndpointResolver(null!));

        Assert.Equal("endpoints", ex.ParamName);
    }

    [Fact]
    public void Constructor_WhenEmpty_ThrowsArgumentExceptionNamingEndpoints()
    {
        var ex = Assert.Throws<ArgumentException>(() => new OrderedEndpointResolver([]));

        Assert.Equal("endpoints", ex.ParamName);
    }
}
