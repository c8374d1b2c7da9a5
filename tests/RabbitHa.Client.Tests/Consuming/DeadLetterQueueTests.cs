using Microsoft.Extensions.Logging.Abstractions;
using RabbitHa.Client.Internal.Consuming;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Tests.TestSupport;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace RabbitHa.Client.Tests.Consuming;

/// <summary>The consumer's dead-letter queue: looked for passively, declared when missing, before the first subscription.</summary>
[Trait("Category", "Unit")]
public sealed class DeadLetterQueueTests
{
    [Fact]
    public async Task DeclareAsync_WhenTheQueueExists_OnlyLooksForIt()
    {
        var broker = new FakeBrokerConnection();
        broker.AddQueue(new FakeBrokerConnection.DeclaredQueue("orders.dead-letter", true, false, false, new Dictionary<string, object?> { ["x-max-length"] = 10 }));

        await DeadLetterQueue(broker, RabbitHaQueueType.Quorum).DeclareAsync(CancellationToken.None);

        Assert.Equal(["passive orders.dead-letter"], broker.Operations);
    }

    [Fact]
    public async Task DeclareAsync_WhenMissing_DeclaresItDurableWithoutAQueueType()
    {
        var broker = new FakeBrokerConnection();

        await DeadLetterQueue(broker, RabbitHaQueueType.Classic).DeclareAsync(CancellationToken.None);

        Assert.Equal(["passive orders.dead-letter", "declare orders.dead-letter"], broker.Operations);
        FakeBrokerConnection.DeclaredQueue declared = Assert.Single(broker.Queues);
        Assert.Equal(("orders.dead-letter", true, false, false), (declared.Name, declared.Durable, declared.Exclusive, declared.AutoDelete));
        Assert.Null(declared.Arguments);
    }

    [Fact]
    public async Task DeclareAsync_WhenTheConsumersQueueIsQuorum_DeclaresAQuorumQueue()
    {
        var broker = new FakeBrokerConnection();

        await DeadLetterQueue(broker, RabbitHaQueueType.Quorum).DeclareAsync(CancellationToken.None);

        Assert.Equal("quorum", Assert.Single(broker.Queues).Arguments!["x-queue-type"]);
    }

    [Fact]
    public async Task DeclareAsync_OnRabbitMq4_WhenTheConsumersQueueTypeIsUnknown_DeclaresAQuorumQueue()
    {
        var broker = new FakeBrokerConnection { BrokerVersion = new Version(4, 0, 5) };
        using var logs = new CapturingLoggerProvider();

        await DeadLetterQueue(broker, type: null, logs).DeclareAsync(CancellationToken.None);

        FakeBrokerConnection.DeclaredQueue declared = Assert.Single(broker.Queues);
        Assert.Equal(("orders.dead-letter", true, false, false), (declared.Name, declared.Durable, declared.Exclusive, declared.AutoDelete));
        Assert.Equal("quorum", declared.Arguments!["x-queue-type"]);
        Assert.Contains("[DeadLetterQueueDeclared] Consumer 'orders' declared its dead-letter queue 'orders.dead-letter' (Quorum)", logs.AllText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("3.13.7")]
    [InlineData(null)]
    public async Task DeclareAsync_OnRabbitMq3OrAnUnknownVersion_WhenTheConsumersQueueTypeIsUnknown_DeclaresItWithoutAQueueType(string? version)
    {
        var broker = new FakeBrokerConnection { BrokerVersion = version is null ? null : Version.Parse(version) };

        await DeadLetterQueue(broker, type: null).DeclareAsync(CancellationToken.None);

        Assert.Null(Assert.Single(broker.Queues).Arguments);
    }

    [Fact]
    public async Task DeclareAsync_OnRabbitMq4_WhenTheTopologyDeclaresTheConsumersQueueClassic_DeclaresItClassicToo()
    {
        var broker = new FakeBrokerConnection { BrokerVersion = new Version(4, 0, 5) };

        await DeadLetterQueue(broker, RabbitHaQueueType.Classic).DeclareAsync(CancellationToken.None);

        Assert.Null(Assert.Single(broker.Queues).Arguments);
    }

    [Theory]
    [InlineData(null, null, RabbitHaQueueType.Classic)]
    [InlineData(null, "3.13.7", RabbitHaQueueType.Classic)]
    [InlineData(null, "4.0.5", RabbitHaQueueType.Quorum)]
    [InlineData(RabbitHaQueueType.Classic, "4.0.5", RabbitHaQueueType.Classic)]
    [InlineData(RabbitHaQueueType.Quorum, "3.13.7", RabbitHaQueueType.Quorum)]
    [InlineData(RabbitHaQueueType.Quorum, null, RabbitHaQueueType.Quorum)]
    public void TypeToDeclare_IsTheConsumersQueuesType_ElseQuorumOnRabbitMq4(RabbitHaQueueType? source, string? version, RabbitHaQueueType expected)
    {
        Assert.Equal(expected, Internal.Consuming.DeadLetterQueue.TypeToDeclare(source, version is null ? null : Version.Parse(version)));
    }

    [Fact]
    public async Task DeclareAsync_WhenTheBrokerRefuses_LogsAnErrorNamingTheQueueAndTheReason_AndDoesNotThrow()
    {
        var broker = new FakeBrokerConnection
        {
            DeclareRefusal = new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.AccessRefused, "ACCESS_REFUSED - access to queue 'orders.dead-letter' refused"),
        };
        using var logs = new CapturingLoggerProvider();

        bool answered = await DeadLetterQueue(broker, RabbitHaQueueType.Classic, logs).DeclareAsync(CancellationToken.None);

        Assert.True(answered);
        Assert.Empty(broker.Queues);
        string line = Assert.Single(logs.Lines, l => l.Contains("[DeadLetterQueueDeclareFailed]", StringComparison.Ordinal));
        Assert.StartsWith("Error", line, StringComparison.Ordinal);
        Assert.Contains("'orders.dead-letter': 403 ACCESS_REFUSED - access to queue 'orders.dead-letter' refused", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeclareAsync_WhenTheConnectionFails_SaysSoThatTheCallerTriesAgain()
    {
        var broker = new FakeBrokerConnection { ChannelFailures = 1 };
        DeadLetterQueue deadLetterQueue = DeadLetterQueue(broker, RabbitHaQueueType.Classic);

        bool first = await deadLetterQueue.DeclareAsync(CancellationToken.None);
        bool second = await deadLetterQueue.DeclareAsync(CancellationToken.None);

        Assert.Equal((false, true), (first, second));
        Assert.Equal("orders.dead-letter", Assert.Single(broker.Queues).Name);
    }

    [Fact]
    public async Task Start_WhenTheConnectionFailsDuringTheDeclaration_DeclaresAgainBeforeTheNextSubscription()
    {
        var broker = new FakeBrokerConnection { ChannelFailures = 1 };
        await using ConsumerSupervisor supervisor = Supervisor(broker, new RabbitHaConsumerOptions { Queue = "orders", ResubscribeDelay = TimeSpan.FromMilliseconds(10) });

        supervisor.Start();
        await Eventually.HoldsAsync(() => Task.FromResult(broker.Operations.Count(o => o == "subscribe") >= 2), TimeSpan.FromSeconds(5), "two subscriptions are attempted");
        await supervisor.StopAsync(CancellationToken.None);

        Assert.Equal(["channel failed", "subscribe", "passive orders.dead-letter", "declare orders.dead-letter", "subscribe"], broker.Operations.Take(5));
    }

    [Fact]
    public async Task Start_DeclaresTheDeadLetterQueueBeforeTheFirstSubscription()
    {
        var broker = new FakeBrokerConnection();
        await using ConsumerSupervisor supervisor = Supervisor(broker, new RabbitHaConsumerOptions { Queue = "orders" });

        supervisor.Start();
        await Eventually.HoldsAsync(() => Task.FromResult(broker.Operations.Contains("subscribe")), TimeSpan.FromSeconds(5), "a subscription is attempted");
        await supervisor.StopAsync(CancellationToken.None);

        Assert.Equal(["passive orders.dead-letter", "declare orders.dead-letter", "subscribe"], broker.Operations.Take(3));
        Assert.Equal(2, broker.Operations.Count(o => o.EndsWith("orders.dead-letter", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Start_WhenTheTopologyDeclaresTheQueueAsQuorum_DeclaresAQuorumDeadLetterQueue()
    {
        var broker = new FakeBrokerConnection();
        var topology = new RabbitHaTopologyOptions();
        topology.Queues.Add(new RabbitHaQueueDefinition { Name = "orders", Type = RabbitHaQueueType.Quorum });
        await using ConsumerSupervisor supervisor = Supervisor(broker, new RabbitHaConsumerOptions { Queue = "orders", DeadLetterQueue = "orders-parked" }, topology);

        supervisor.Start();
        await Eventually.HoldsAsync(() => Task.FromResult(broker.Operations.Contains("subscribe")), TimeSpan.FromSeconds(5), "a subscription is attempted");
        await supervisor.StopAsync(CancellationToken.None);

        FakeBrokerConnection.DeclaredQueue declared = Assert.Single(broker.Queues);
        Assert.Equal(("orders-parked", "quorum"), (declared.Name, declared.Arguments!["x-queue-type"]));
    }

    [Fact]
    public async Task Start_OnRabbitMq4_WhenTheTopologyDoesNotDeclareTheQueue_DeclaresAQuorumDeadLetterQueue()
    {
        var broker = new FakeBrokerConnection { BrokerVersion = new Version(4, 0, 5) };
        await using ConsumerSupervisor supervisor = Supervisor(broker, new RabbitHaConsumerOptions { Queue = "orders" });

        supervisor.Start();
        await Eventually.HoldsAsync(() => Task.FromResult(broker.Operations.Contains("subscribe")), TimeSpan.FromSeconds(5), "a subscription is attempted");
        await supervisor.StopAsync(CancellationToken.None);

        FakeBrokerConnection.DeclaredQueue declared = Assert.Single(broker.Queues);
        Assert.Equal(("orders.dead-letter", "quorum"), (declared.Name, declared.Arguments!["x-queue-type"]));
    }

    [Fact]
    public async Task Start_WhenTheTopologyDeclaresTheQueueQuorumByArgument_DeclaresAQuorumDeadLetterQueue()
    {
        var broker = new FakeBrokerConnection();
        var topology = new RabbitHaTopologyOptions();
        topology.Queues.Add(new RabbitHaQueueDefinition { Name = "orders", Arguments = { ["x-queue-type"] = "quorum" } });
        await using ConsumerSupervisor supervisor = Supervisor(broker, new RabbitHaConsumerOptions { Queue = "orders" }, topology);

        supervisor.Start();
        await Eventually.HoldsAsync(() => Task.FromResult(broker.Operations.Contains("subscribe")), TimeSpan.FromSeconds(5), "a subscription is attempted");
        await supervisor.StopAsync(CancellationToken.None);

        Assert.Equal("quorum", Assert.Single(broker.Queues).Arguments!["x-queue-type"]);
    }

    [Fact]
    public async Task Start_WhenTheDeadLetterQueueCannotBeDeclared_StillSubscribes()
    {
        var broker = new FakeBrokerConnection { DeclareRefusal = new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.PreconditionFailed, "PRECONDITION_FAILED - inequivalent arg") };
        await using ConsumerSupervisor supervisor = Supervisor(broker, new RabbitHaConsumerOptions { Queue = "orders" });

        supervisor.Start();
        await Eventually.HoldsAsync(() => Task.FromResult(broker.Operations.Contains("subscribe")), TimeSpan.FromSeconds(5), "a subscription is attempted");
        await supervisor.StopAsync(CancellationToken.None);

        Assert.Empty(broker.Queues);
    }

    [Theory]
    [InlineData(RabbitHaDeadLetterStrategy.Broker)]
    [InlineData(RabbitHaDeadLetterStrategy.Discard)]
    public async Task Start_WithAStrategyOtherThanQueue_DeclaresNoDeadLetterQueue(RabbitHaDeadLetterStrategy strategy)
    {
        var broker = new FakeBrokerConnection();
        await using ConsumerSupervisor supervisor = Supervisor(broker, new RabbitHaConsumerOptions { Queue = "orders", DeadLetterStrategy = strategy });

        supervisor.Start();
        await Eventually.HoldsAsync(() => Task.FromResult(broker.Operations.Contains("subscribe")), TimeSpan.FromSeconds(5), "a subscription is attempted");
        await supervisor.StopAsync(CancellationToken.None);

        Assert.All(broker.Operations, o => Assert.Equal("subscribe", o));
    }

    private static DeadLetterQueue DeadLetterQueue(FakeBrokerConnection broker, RabbitHaQueueType? type, CapturingLoggerProvider? logs = null) =>
        new(broker, "orders.dead-letter", type, "orders", "orders", logs?.CreateLogger("consumer") ?? NullLogger.Instance, CancellationToken.None);

    private static ConsumerSupervisor Supervisor(FakeBrokerConnection broker, RabbitHaConsumerOptions options, RabbitHaTopologyOptions? topology = null) =>
        new(broker, options, new InstanceMessageInvoker<ReadOnlyMemory<byte>>(new NoopHandler(), new SystemTextJsonRabbitHaSerializer()), null,
            new RecordingPublisher(), new ConsumerMetrics(new RabbitHaMetrics()), NullLogger.Instance, topology);
}
