using RabbitHa.Client.Internal.Topology;
using RabbitHa.Client.Tests.TestSupport;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Tests;

[Trait("Category", "Unit")]
public sealed class TopologyDeclarerTests
{
    [Fact]
    public void BuildQueueArguments_WhenQuorum_SetsQueueType()
    {
        var arguments = TopologyDeclarer.BuildQueueArguments(new RabbitHaQueueDefinition { Name = "q", Type = RabbitHaQueueType.Quorum });

        Assert.NotNull(arguments);
        Assert.Equal("quorum", arguments["x-queue-type"]);
    }

    [Fact]
    public void BuildQueueArguments_WhenPlainClassic_HasNoArgumentsSoMirroringPolicyApplies()
    {
        Assert.Null(TopologyDeclarer.BuildQueueArguments(new RabbitHaQueueDefinition { Name = "q" }));
    }

    [Fact]
    public void BuildQueueArguments_MapsDeadLetteringLimitsAndExtraArguments()
    {
        var queue = new RabbitHaQueueDefinition
        {
            Name = "q",
            DeadLetterExchange = "dlx",
            DeadLetterRoutingKey = "dead",
            MessageTtl = TimeSpan.FromSeconds(30),
            MaxLength = 1000,
            Arguments = { ["x-overflow"] = "reject-publish" },
        };

        var arguments = TopologyDeclarer.BuildQueueArguments(queue);

        Assert.NotNull(arguments);
        Assert.Equal("dlx", arguments["x-dead-letter-exchange"]);
        Assert.Equal("dead", arguments["x-dead-letter-routing-key"]);
        Assert.Equal(30_000L, arguments["x-message-ttl"]);
        Assert.Equal(1000L, arguments["x-max-length"]);
        Assert.Equal("reject-publish", arguments["x-overflow"]);
        Assert.False(arguments.ContainsKey("x-queue-type"));
    }

    [Fact]
    public void Plan_DeclaresExchangesThenQueuesThenBindings()
    {
        RabbitHaTopologyOptions topology = Topology();

        Assert.Equal(
            ["exchange 'orders.x'", "queue 'orders'", "queue 'invoices'", "binding of queue 'invoices' to exchange 'orders.x' (routing key 'key')"],
            TopologyDeclarer.Plan(topology).Select(d => d.Description));
    }

    [Fact]
    public async Task DeclareAsync_WhenTheBrokerRefusesOne_DeclaresTheOthersOnANewChannel()
    {
        var broker = new DeclaringBroker();
        broker.Refuse("queue:orders");

        var outcomes = await TopologyDeclarer.DeclareAsync(broker.OpenChannelAsync, TopologyDeclarer.Plan(Topology()), CancellationToken.None);

        Assert.Equal(["exchange:orders.x", "queue:invoices", "qbind:invoices<-orders.x"], broker.Declared);
        Assert.Equal(2, broker.ChannelsOpened);
        Assert.Equal(4, outcomes.Count);
        var refused = Assert.Single(outcomes, o => o.Refusal is not null);
        Assert.Equal("queue 'orders'", refused.Declaration.Description);
        Assert.Equal(Constants.PreconditionFailed, refused.Refusal!.ReplyCode);
    }

    [Fact]
    public async Task DeclareAsync_WhenTheConnectionIsLost_Throws()
    {
        var broker = new DeclaringBroker();
        broker.LoseConnectionAt("queue:orders");

        await Assert.ThrowsAsync<AlreadyClosedException>(
            () => TopologyDeclarer.DeclareAsync(broker.OpenChannelAsync, TopologyDeclarer.Plan(Topology()), CancellationToken.None));

        Assert.Equal(["exchange:orders.x"], broker.Declared);
    }

    private static RabbitHaTopologyOptions Topology()
    {
        var topology = new RabbitHaTopologyOptions();
        topology.Bindings.Add(new RabbitHaBindingDefinition { Exchange = "orders.x", Queue = "invoices", RoutingKey = "key" });
        topology.Queues.Add(new RabbitHaQueueDefinition { Name = "orders" });
        topology.Queues.Add(new RabbitHaQueueDefinition { Name = "invoices" });
        topology.Exchanges.Add(new RabbitHaExchangeDefinition { Name = "orders.x" });
        return topology;
    }
}
