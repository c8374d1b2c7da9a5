using Microsoft.Extensions.Options;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Topology;
using RabbitHa.Client.Tests.TestSupport;
using RabbitMQ.Client;

namespace RabbitHa.Client.Tests;

/// <summary>
/// The connection knows what it talks to: the broker's version, read at connect and after each recovery, logged, and on
/// RabbitMQ 4 (no classic queue mirroring) a warning for each durable classic queue of the topology.
/// </summary>
[Trait("Category", "Unit")]
public sealed class RabbitHaConnectionBrokerTests
{
    [Fact]
    public async Task ConnectAsync_ReadsTheBrokerVersion_AndLogsItWithTheConnectionName()
    {
        using var logs = new CapturingLoggerProvider();
        (IConnection amqp, _) = StubAmqpConnection.Create(new DeclaringBroker(), "RabbitMQ", "4.0.5");
        await using RabbitHaConnection connection = CreateConnection(amqp, logs);
        Assert.Null(connection.BrokerVersion);

        await connection.ConnectAsync();

        Assert.Equal(new Version(4, 0, 5), connection.BrokerVersion);
        string line = Assert.Single(logs.Lines, l => l.Contains("[Connected]", StringComparison.Ordinal));
        Assert.StartsWith("Information ", line, StringComparison.Ordinal);
        Assert.Contains("'unit-test'", line, StringComparison.Ordinal);
        Assert.Contains("RabbitMQ 4.0.5", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_OnRabbitMq4_WarnsOncePerDurableClassicQueueOfTheTopology()
    {
        using var logs = new CapturingLoggerProvider();
        (IConnection amqp, StubAmqpConnection broker) = StubAmqpConnection.Create(new DeclaringBroker(), "RabbitMQ", "4.0.5");
        await using RabbitHaConnection connection = CreateConnection(amqp, logs, MixedTopology);

        await connection.ConnectAsync();
        await broker.LoseAsync();
        await broker.RecoverAsync();

        Assert.Equal(RabbitHaConnectionState.Open, connection.State);
        string warning = Assert.Single(Warnings(logs));
        Assert.StartsWith("Warning ", warning, StringComparison.Ordinal);
        Assert.Contains("Queue 'orders'", warning, StringComparison.Ordinal);
        Assert.Contains("'unit-test'", warning, StringComparison.Ordinal);
        Assert.Contains("not replicated on RabbitMQ 4.0.5", warning, StringComparison.Ordinal);
        Assert.Contains("loses the queue and its messages", warning, StringComparison.Ordinal);
        Assert.Contains("RabbitHaQueueType.Quorum", warning, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("3.13.7")]
    [InlineData("3.10.8")]
    public async Task ConnectAsync_OnRabbitMq3_DoesNotWarn_ClassicQueuesAreMirroredByTheClustersPolicy(string version)
    {
        using var logs = new CapturingLoggerProvider();
        (IConnection amqp, _) = StubAmqpConnection.Create(new DeclaringBroker(), "RabbitMQ", version);
        await using RabbitHaConnection connection = CreateConnection(amqp, logs, MixedTopology);

        await connection.ConnectAsync();

        Assert.Equal(Version.Parse(version), connection.BrokerVersion);
        Assert.Empty(Warnings(logs));
    }

    [Theory]
    [InlineData("RabbitMQ", null)]
    [InlineData("RabbitMQ", "garbage")]
    [InlineData(null, null)]
    public async Task ConnectAsync_WhenTheVersionIsMissingOrUnreadable_HasNoVersionAndDoesNotWarn(string? product, string? version)
    {
        using var logs = new CapturingLoggerProvider();
        (IConnection amqp, _) = StubAmqpConnection.Create(new DeclaringBroker(), product, version);
        await using RabbitHaConnection connection = CreateConnection(amqp, logs, MixedTopology);

        await connection.ConnectAsync();

        Assert.Equal(RabbitHaConnectionState.Open, connection.State);
        Assert.Null(connection.BrokerVersion);
        Assert.Empty(Warnings(logs));
        Assert.Single(logs.Lines, l => l.Contains("[Connected]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Recovery_OntoANodeOfAnotherVersion_ReadsItAgain_LogsTheChange_AndWarnsThen()
    {
        using var logs = new CapturingLoggerProvider();
        (IConnection amqp, StubAmqpConnection broker) = StubAmqpConnection.Create(new DeclaringBroker(), "RabbitMQ", "3.13.7");
        await using RabbitHaConnection connection = CreateConnection(amqp, logs, MixedTopology);
        await connection.ConnectAsync();
        Assert.Empty(Warnings(logs));

        await broker.LoseAsync();
        broker.ServerProperties = StubAmqpConnection.Properties("RabbitMQ", "4.0.5");
        await broker.RecoverAsync();

        Assert.Equal(new Version(4, 0, 5), connection.BrokerVersion);
        string changed = Assert.Single(logs.Lines, l => l.Contains("[BrokerChanged]", StringComparison.Ordinal));
        Assert.StartsWith("Information ", changed, StringComparison.Ordinal);
        Assert.Contains("recovered to RabbitMQ 4.0.5; it was connected to RabbitMQ 3.13.7", changed, StringComparison.Ordinal);
        Assert.Contains("Queue 'orders'", Assert.Single(Warnings(logs)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recovery_OntoTheSameVersion_LogsNoChange()
    {
        using var logs = new CapturingLoggerProvider();
        (IConnection amqp, StubAmqpConnection broker) = StubAmqpConnection.Create(new DeclaringBroker(), "RabbitMQ", "4.0.5");
        await using RabbitHaConnection connection = CreateConnection(amqp, logs);
        await connection.ConnectAsync();

        await broker.LoseAsync();
        await broker.RecoverAsync();

        Assert.Equal(RabbitHaConnectionState.Open, connection.State);
        Assert.DoesNotContain("[BrokerChanged]", logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_ThePublishingConnection_DoesNotWarnAboutTheTopologyItDoesNotDeclare()
    {
        using var logs = new CapturingLoggerProvider();
        (IConnection amqp, _) = StubAmqpConnection.Create(new DeclaringBroker(), "RabbitMQ", "4.0.5");
        await using RabbitHaConnection connection = CreateConnection(amqp, logs, MixedTopology, ConnectionPurpose.Publishing);

        await connection.ConnectAsync();

        Assert.Equal(new Version(4, 0, 5), connection.BrokerVersion);
        Assert.Empty(Warnings(logs));
    }

    [Fact]
    public async Task HealthCheck_WhenTheVersionIsKnown_ShowsIt()
    {
        (IConnection amqp, _) = StubAmqpConnection.Create(new DeclaringBroker(), "RabbitMQ", "4.0.5");
        await using RabbitHaConnection connection = CreateConnection(amqp, logs: null);
        await connection.ConnectAsync();

        var result = RabbitHaConnectionHealthCheck.Evaluate(connection, Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy);

        Assert.Equal("4.0.5", result.Data["brokerVersion"]);
    }

    [Theory]
    [InlineData(RabbitHaQueueType.Classic, true, false, false, null, true)]
    [InlineData(RabbitHaQueueType.Quorum, true, false, false, null, false)]
    [InlineData(RabbitHaQueueType.Classic, false, false, false, null, false)]
    [InlineData(RabbitHaQueueType.Classic, true, true, false, null, false)]
    [InlineData(RabbitHaQueueType.Classic, true, false, true, null, false)]
    [InlineData(RabbitHaQueueType.Classic, true, false, false, "quorum", false)]
    [InlineData(RabbitHaQueueType.Classic, true, false, false, "stream", false)]
    [InlineData(RabbitHaQueueType.Quorum, true, false, false, "classic", true)]
    public void IsDurableClassic_TakesTheTypeTheBrokerGetsAndOnlyQueuesThatOutliveTheirConnection(
        RabbitHaQueueType type, bool durable, bool exclusive, bool autoDelete, string? queueTypeArgument, bool expected)
    {
        var queue = new RabbitHaQueueDefinition { Name = "q", Type = type, Durable = durable, Exclusive = exclusive, AutoDelete = autoDelete };
        if (queueTypeArgument is not null)
        {
            queue.Arguments["x-queue-type"] = queueTypeArgument;
        }

        Assert.Equal(expected, ClassicQueueWarnings.IsDurableClassic(queue));
    }

    /// <summary>
    /// One durable classic queue ('orders', listed twice) among queues that are replicated or do not outlive their
    /// connection: quorum by type or by argument, exclusive, auto-delete.
    /// </summary>
    private static void MixedTopology(RabbitHaTopologyOptions topology)
    {
        topology.Queues.Add(new RabbitHaQueueDefinition { Name = "orders" });
        topology.Queues.Add(new RabbitHaQueueDefinition { Name = "orders", MaxLength = 10 });
        topology.Queues.Add(new RabbitHaQueueDefinition { Name = "invoices", Type = RabbitHaQueueType.Quorum });
        topology.Queues.Add(new RabbitHaQueueDefinition { Name = "audit", Arguments = { ["x-queue-type"] = "quorum" } });
        topology.Queues.Add(new RabbitHaQueueDefinition { Name = "replies", Exclusive = true });
        topology.Queues.Add(new RabbitHaQueueDefinition { Name = "notifications", AutoDelete = true });
    }

    private static IEnumerable<string> Warnings(CapturingLoggerProvider logs) =>
        logs.Lines.Where(l => l.Contains("[ClassicQueueNotReplicated]", StringComparison.Ordinal));

    private static RabbitHaConnection CreateConnection(
        IConnection amqp,
        CapturingLoggerProvider? logs,
        Action<RabbitHaTopologyOptions>? topology = null,
        ConnectionPurpose purpose = ConnectionPurpose.Main)
    {
        var options = new RabbitHaOptions
        {
            Host = "haproxy.stub",
            Password = "never-show-this-password",
            ClientProvidedName = "unit-test",
        };
        topology?.Invoke(options.Topology);

        return new RabbitHaConnection(Options.Create(options), new RabbitHaMetrics(), TestLogging.CreateLogger<RabbitHaConnection>(logs), purpose: purpose)
        {
            ConnectionOpener = _ => Task.FromResult(amqp),
        };
    }
}
