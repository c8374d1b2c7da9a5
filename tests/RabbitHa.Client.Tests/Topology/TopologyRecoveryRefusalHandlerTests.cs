using Microsoft.Extensions.Logging.Abstractions;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Topology;
using RabbitHa.Client.Tests.TestSupport;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Tests.Topology;

/// <summary>
/// What RabbitMQ.Client's topology recovery does with a failure to re-declare a recorded entity: a broker refusal is
/// handled (recorded, and recovery goes on); anything that says the connection is gone keeps RabbitMQ.Client's own
/// handling (abort and retry the recovery).
/// </summary>
[Trait("Category", "Unit")]
public sealed class TopologyRecoveryRefusalHandlerTests
{
    public static TheoryData<Exception> ConnectivityFailures => new()
    {
        new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Library, Constants.InternalError, "End of stream")),

        // A channel already closed with a refusal says nothing about this declaration.
        new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.PreconditionFailed, "PRECONDITION_FAILED", 50, 10)),
        new OperationInterruptedException(new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.ConnectionForced, "CONNECTION_FORCED - shutdown", 0, 0)),
        new OperationInterruptedException(new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.ConnectionForced, "CONNECTION_FORCED", 50, 10)),
        new OperationInterruptedException(new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.NotAllowed, "NOT_ALLOWED - vhost not found", 10, 40)),
        new OperationInterruptedException(new ShutdownEventArgs(ShutdownInitiator.Library, Constants.PreconditionFailed, "closed by the library", 50, 10)),
        new OperationInterruptedException(),
        new TimeoutException(),
        new OperationCanceledException(),
        new IOException("connection reset"),
    };

    [Theory]
    [InlineData(Constants.PreconditionFailed)]
    [InlineData(Constants.NotFound)]
    [InlineData(Constants.AccessRefused)]
    public void RecoveryCondition_WhenBrokerRefusesWith406_IsHandled(ushort replyCode)
    {
        TopologyRecoveryExceptionHandler handler = CreateHandler(out _);

        Assert.True(handler.QueueRecoveryExceptionCondition(new RecordedQueue("orders"), Refusal(replyCode, classId: 50)));
        Assert.True(handler.ExchangeRecoveryExceptionCondition(new RecordedExchange("orders.x"), Refusal(replyCode, classId: 40)));
        Assert.True(handler.BindingRecoveryExceptionCondition(new RecordedBinding("orders.x", "orders"), Refusal(replyCode, classId: 50)));
        Assert.NotNull(handler.QueueRecoveryExceptionHandlerAsync);
        Assert.NotNull(handler.ExchangeRecoveryExceptionHandlerAsync);
        Assert.NotNull(handler.BindingRecoveryExceptionHandlerAsync);
    }

    [Theory]
    [MemberData(nameof(ConnectivityFailures))]
    public void RecoveryCondition_WhenConnectivityFailure_IsNotHandled(Exception exception)
    {
        TopologyRecoveryExceptionHandler handler = CreateHandler(out _);

        Assert.False(handler.QueueRecoveryExceptionCondition(new RecordedQueue("orders"), exception));
        Assert.False(handler.ExchangeRecoveryExceptionCondition(new RecordedExchange("orders.x"), exception));
        Assert.False(handler.BindingRecoveryExceptionCondition(new RecordedBinding("orders.x", "orders"), exception));
    }

    [Fact]
    public void RecoveryCondition_WhenServerNamedQueueIsRefused_IsNotHandled()
    {
        TopologyRecoveryExceptionHandler handler = CreateHandler(out _);

        Assert.False(handler.QueueRecoveryExceptionCondition(new RecordedQueue("amq.gen-1", IsServerNamed: true), Refusal(Constants.PreconditionFailed, 50)));
    }

    [Fact]
    public void RecoveryCondition_ConsumersKeepRabbitMqClientsHandling()
    {
        TopologyRecoveryExceptionHandler handler = CreateHandler(out _);

        Assert.Null(handler.ConsumerRecoveryExceptionHandlerAsync);
    }

    [Fact]
    public async Task RecoveryHandler_WhenQueueIsRefused_RecordsItWithTheBrokersReason()
    {
        TopologyRecoveryExceptionHandler handler = CreateHandler(out TopologyRefusals refusals);
        await using (refusals)
        {
            await handler.QueueRecoveryExceptionHandlerAsync!(new RecordedQueue("orders"),
                Refusal(Constants.PreconditionFailed, 50, "PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue 'orders'"), null!);

            TopologyRefusals.RefusedDeclaration refused = Assert.Single(refusals.Snapshot());
            Assert.Equal("queue 'orders'", refused.Entity);
            Assert.Equal("406 PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue 'orders'", refused.Refusal.ToString());
        }
    }

    [Fact]
    public async Task RecoveryHandler_RedeclaresWhatRabbitMqClientRecorded()
    {
        var broker = new DeclaringBroker();
        // Long enough for the four refusals below to be recorded before the first retry.
        await using var refusals = new TopologyRefusals("app", broker.OpenChannelAsync, new RabbitHaMetrics(), NullLogger.Instance,
            delay: TimeSpan.FromMilliseconds(500), maxDelay: TimeSpan.FromSeconds(1));
        var topology = new RabbitHaTopologyOptions();
        topology.Exchanges.Add(new RabbitHaExchangeDefinition { Name = "fanout.x" });
        TopologyRecoveryExceptionHandler handler = TopologyRecoveryRefusalHandler.Create(refusals, topology);

        await handler.QueueRecoveryExceptionHandlerAsync!(new RecordedQueue("orders"), Refusal(Constants.PreconditionFailed, 50), null!);
        await handler.ExchangeRecoveryExceptionHandlerAsync!(new RecordedExchange("orders.x"), Refusal(Constants.PreconditionFailed, 40), null!);
        await handler.BindingRecoveryExceptionHandlerAsync!(new RecordedBinding("orders.x", "orders"), Refusal(Constants.NotFound, 50), null!);
        await handler.BindingRecoveryExceptionHandlerAsync!(new RecordedBinding("orders.x", "fanout.x"), Refusal(Constants.NotFound, 40), null!);
        await Eventually.HoldsAsync(() => refusals.Snapshot().Count == 0, "every refusal is declared again");

        // Exchanges, then queues, then bindings; a binding to a configured exchange is an exchange-to-exchange binding.
        Assert.Equal(["exchange:orders.x", "queue:orders", "qbind:orders<-orders.x", "xbind:fanout.x<-orders.x"], broker.Declared);
    }

    [Fact]
    public void TopologyRefusal_DescribesTheReplyAsTheBrokerGaveIt()
    {
        Assert.True(TopologyRefusal.TryGet(Refusal(Constants.PreconditionFailed, 50, "PRECONDITION_FAILED - inequivalent arg 'x-max-length'"),
            out TopologyRefusal? refusal));

        Assert.Equal("406 PRECONDITION_FAILED - inequivalent arg 'x-max-length'", refusal.ToString());
    }

    [Fact]
    public void CreateFactory_WhenHandlerGiven_UsesItForTopologyRecovery()
    {
        TopologyRecoveryExceptionHandler handler = CreateHandler(out _);
        var options = new RabbitHaOptions();

        ConnectionFactory factory = RabbitHaConnectionSettings.FromOptions(options).CreateFactory(options, handler);

        Assert.Same(handler, factory.TopologyRecoveryExceptionHandler);
    }

    private static TopologyRecoveryExceptionHandler CreateHandler(out TopologyRefusals refusals)
    {
        var broker = new DeclaringBroker();
        refusals = new TopologyRefusals("app", broker.OpenChannelAsync, new RabbitHaMetrics(), NullLogger.Instance);
        return TopologyRecoveryRefusalHandler.Create(refusals, new RabbitHaTopologyOptions());
    }

    private static OperationInterruptedException Refusal(ushort replyCode, ushort classId, string? text = null) =>
        new(new ShutdownEventArgs(ShutdownInitiator.Peer, replyCode, text ?? "refused", classId, 10));

    private sealed record RecordedQueue(string Name, bool IsServerNamed = false) : IRecordedQueue
    {
        public bool Durable => true;

        public bool Exclusive => false;

        public bool AutoDelete => false;

        public IDictionary<string, object?>? Arguments => null;
    }

    private sealed record RecordedExchange(string Name) : IRecordedExchange
    {
        public string Type => ExchangeType.Direct;

        public bool Durable => true;

        public bool AutoDelete => false;

        public IDictionary<string, object?>? Arguments => null;
    }

    private sealed record RecordedBinding(string Source, string Destination) : IRecordedBinding
    {
        public string RoutingKey => "key";

        public IDictionary<string, object?>? Arguments => null;
    }
}
