namespace RabbitHa.Client.Tests;

[Trait("Category", "Unit")]
public sealed class TopologyDeclarerTests
{
    [Fact]
    public void BuildQueueArguments_WhenQuorum_SetsQueueType()
    {
        var arguments = TopologyDeclarer.BuildQueueArguments(new QueueDefinition { Name = "q", Type = QueueType.Quorum });

        Assert.NotNull(arguments);
        Assert.Equal("quorum", arguments["x-queue-type"]);
    }

    [Fact]
    public void BuildQueueArguments_WhenPlainClassic_HasNoArgumentsSoMirroringPolicyApplies()
    {
        Assert.Null(TopologyDeclarer.BuildQueueArguments(new QueueDefinition { Name = "q" }));
    }

    [Fact]
    public void BuildQueueArguments_MapsDeadLetteringLimitsAndExtraArguments()
    {
        var queue = new QueueDefinition
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
}
