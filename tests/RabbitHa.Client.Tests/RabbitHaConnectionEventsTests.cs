using System.Collections.Concurrent;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Tests.TestSupport;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace RabbitHa.Client.Tests;

/// <summary>
/// The connection's events carry RabbitHa's own arguments, say what was true when the change happened, and are raised
/// off RabbitMQ.Client's threads, one at a time, in the order of the changes.
/// </summary>
[Trait("Category", "Unit")]
public sealed class RabbitHaConnectionEventsTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ConnectionLost_WhenTheBrokerClosesTheConnection_SaysSoAndThatItWillRecover()
    {
        await using StubbedConnection stubbed = await StubbedConnection.OpenAsync();
        var lost = new TaskCompletionSource<(object? Sender, RabbitHaConnectionLostEventArgs Args)>(TaskCreationOptions.RunContinuationsAsynchronously);
        stubbed.Connection.ConnectionLost += (sender, e) => lost.TrySetResult((sender, e));

        await stubbed.Stub.LoseAsync(new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.ConnectionForced, "CONNECTION_FORCED - shutdown"));

        (object? sender, RabbitHaConnectionLostEventArgs e) = await lost.Task.WaitAsync(Deadline);
        Assert.Same(stubbed.Connection, sender);
        Assert.Equal(Constants.ConnectionForced, e.ReplyCode);
        Assert.Equal("CONNECTION_FORCED - shutdown", e.ReplyText);
        Assert.True(e.InitiatedByBroker);
        Assert.Null(e.Exception);
        Assert.True(e.WillRecover);
        Assert.Equal(("haproxy.stub", 5672), (e.Endpoint?.HostName, e.Endpoint?.Port));
        Assert.Equal(RabbitHaConnectionState.Recovering, stubbed.Connection.State);
    }

    [Fact]
    public async Task ConnectionLost_WhenTheSocketBreaks_IsNotTheBrokers_AndCarriesTheException()
    {
        await using StubbedConnection stubbed = await StubbedConnection.OpenAsync();
        var lost = new TaskCompletionSource<RabbitHaConnectionLostEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        stubbed.Connection.ConnectionLost += (_, e) => lost.TrySetResult(e);
        var reset = new IOException("connection reset by peer");

        await stubbed.Stub.LoseAsync(new ShutdownEventArgs(ShutdownInitiator.Library, Constants.InternalError, "Unexpected Exception", reset));

        RabbitHaConnectionLostEventArgs e = await lost.Task.WaitAsync(Deadline);
        Assert.False(e.InitiatedByBroker);
        Assert.Same(reset, e.Exception);
        Assert.Equal(Constants.InternalError, e.ReplyCode);
        Assert.True(e.WillRecover);
    }

    [Fact]
    public async Task ConnectionLost_WhenTheBrokerRefusesTheConnectionForGood_SaysItWillNotRecover()
    {
        await using StubbedConnection stubbed = await StubbedConnection.OpenAsync();
        var lost = new TaskCompletionSource<RabbitHaConnectionLostEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        stubbed.Connection.ConnectionLost += (_, e) => lost.TrySetResult(e);

        await stubbed.Stub.LoseAsync(new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.AccessRefused, "ACCESS_REFUSED - user deleted"));

        RabbitHaConnectionLostEventArgs e = await lost.Task.WaitAsync(Deadline);
        Assert.False(e.WillRecover);
        Assert.True(e.InitiatedByBroker);
        Assert.Equal(RabbitHaConnectionState.Disconnected, stubbed.Connection.State);
    }

    [Fact]
    public async Task RecoveryFailed_CarriesTheExceptionAndThePauseTheRecoveryThenTakes()
    {
        await using StubbedConnection stubbed = await StubbedConnection.OpenAsync();
        var failed = new TaskCompletionSource<RabbitHaRecoveryFailedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        stubbed.Connection.RecoveryFailed += (_, e) => failed.TrySetResult(e);
        await stubbed.Stub.LoseAsync();
        var refused = new IOException("connection refused");

        // RabbitMQ.Client awaits this callback in its recovery loop: it returns once the pause is over, on the fake clock.
        Task attempt = stubbed.Stub.FailRecoveryAttemptAsync(refused);

        RabbitHaRecoveryFailedEventArgs e = await failed.Task.WaitAsync(Deadline);
        Assert.Same(refused, e.Exception);

        // Recovery:RetryDelay (250 ms by default) ±20 % after the first failure of a loss.
        Assert.InRange(e.NextAttemptIn, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(300));
        stubbed.Time.Advance(e.NextAttemptIn - TimeSpan.FromMilliseconds(1));
        Assert.False(attempt.IsCompleted, "the recovery went on before the pause the event announced");
        stubbed.Time.Advance(TimeSpan.FromMilliseconds(1));
        await attempt.WaitAsync(Deadline);
    }

    [Fact]
    public async Task BlockedAndUnblocked_CarryTheBrokersReasonAndHowLongTheBlockLasted()
    {
        await using StubbedConnection stubbed = await StubbedConnection.OpenAsync();
        var blocked = new TaskCompletionSource<RabbitHaConnectionBlockedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        var unblocked = new TaskCompletionSource<RabbitHaConnectionUnblockedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        stubbed.Connection.Blocked += (_, e) => blocked.TrySetResult(e);
        stubbed.Connection.Unblocked += (_, e) => unblocked.TrySetResult(e);

        await stubbed.Stub.BlockAsync("low on memory");
        Assert.Equal("low on memory", (await blocked.Task.WaitAsync(Deadline)).Reason);
        Assert.Equal("low on memory", stubbed.Connection.BlockedReason);
        await Task.Delay(20);
        await stubbed.Stub.UnblockAsync();

        Assert.True((await unblocked.Task.WaitAsync(Deadline)).BlockedFor >= TimeSpan.FromMilliseconds(10));
        Assert.False(stubbed.Connection.IsBlocked);
    }

    [Fact]
    public async Task ConnectionRecovered_CarriesTheEndpointItRecoveredOn()
    {
        await using StubbedConnection stubbed = await StubbedConnection.OpenAsync();
        var recovered = new TaskCompletionSource<RabbitHaConnectionRecoveredEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        stubbed.Connection.ConnectionRecovered += (_, e) => recovered.TrySetResult(e);
        await stubbed.Stub.LoseAsync();

        await stubbed.Stub.RecoverAsync();

        AmqpTcpEndpoint endpoint = (await recovered.Task.WaitAsync(Deadline)).Endpoint;
        Assert.Equal(("haproxy.stub", 5672, "amqp://haproxy.stub:5672"), (endpoint.HostName, endpoint.Port, endpoint.ToString()));
    }

    [Fact]
    public async Task Events_RunOffRabbitMqClientsCallbacks_OneAtATime_InTheOrderOfTheChanges()
    {
        await using StubbedConnection stubbed = await StubbedConnection.OpenAsync();
        var order = new ConcurrentQueue<string>();
        using var release = new ManualResetEventSlim();
        stubbed.Connection.ConnectionLost += (_, e) =>
        {
            // Blocks until the test has seen RabbitMQ.Client's callbacks return without it.
            Assert.True(release.Wait(Deadline), "the test never released the handler");
            order.Enqueue($"Lost(WillRecover={e.WillRecover})");
        };
        stubbed.Connection.ConnectionRecovered += (_, _) => order.Enqueue($"Recovered({stubbed.Connection.State})");

        // Both callbacks return while the loss's handler still blocks: neither RabbitMQ.Client's frame reader nor its
        // recovery loop waits for RabbitHa's handlers.
        await stubbed.Stub.LoseAsync().WaitAsync(Deadline);
        await stubbed.Stub.RecoverAsync().WaitAsync(Deadline);
        Assert.Equal(RabbitHaConnectionState.Open, stubbed.Connection.State);
        Assert.Empty(order);

        release.Set();
        await stubbed.Connection.Events.Raised.WaitAsync(Deadline);

        Assert.Equal(["Lost(WillRecover=True)", "Recovered(Open)"], order);
    }

    [Fact]
    public async Task AHandlerThatThrows_IsLogged_AndStopsNeitherTheOtherHandlersNorTheLaterEvents()
    {
        using var logs = new CapturingLoggerProvider();
        await using StubbedConnection stubbed = await StubbedConnection.OpenAsync(logs);
        var heard = new ConcurrentQueue<string>();
        stubbed.Connection.ConnectionLost += (_, _) => throw new InvalidOperationException("a subscriber's bug");
        stubbed.Connection.ConnectionLost += (_, _) => heard.Enqueue("Lost");
        stubbed.Connection.ConnectionRecovered += (_, _) => heard.Enqueue("Recovered");

        await stubbed.Stub.LoseAsync();
        await stubbed.Stub.RecoverAsync();
        await stubbed.Connection.Events.Raised.WaitAsync(Deadline);

        Assert.Equal(["Lost", "Recovered"], heard);
        string line = Assert.Single(logs.Lines, l => l.Contains("[EventHandlerFailed]", StringComparison.Ordinal));
        Assert.StartsWith("Error ", line, StringComparison.Ordinal);
        Assert.Contains("ConnectionLost", line, StringComparison.Ordinal);
        Assert.Contains("'unit-test'", line, StringComparison.Ordinal);
        Assert.Contains("a subscriber's bug", line, StringComparison.Ordinal);
        Assert.Equal(RabbitHaConnectionState.Open, stubbed.Connection.State);
    }

    [Fact]
    public async Task AHandlerSubscribedAfterAChange_DoesNotHearOfIt()
    {
        await using StubbedConnection stubbed = await StubbedConnection.OpenAsync();
        await stubbed.Stub.LoseAsync();
        int lost = 0;

        stubbed.Connection.ConnectionLost += (_, _) => Interlocked.Increment(ref lost);
        await stubbed.Connection.Events.Raised.WaitAsync(Deadline);

        Assert.Equal(0, Volatile.Read(ref lost));
        Assert.Equal(RabbitHaConnectionState.Recovering, stubbed.Connection.State);
    }

    [Fact]
    public async Task Close_WhileBlocked_RaisesUnblocked()
    {
        StubbedConnection stubbed = await StubbedConnection.OpenAsync();
        var unblocked = new TaskCompletionSource<RabbitHaConnectionUnblockedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        stubbed.Connection.Unblocked += (_, e) => unblocked.TrySetResult(e);
        await stubbed.Stub.BlockAsync("low on disk");

        await stubbed.DisposeAsync();

        await unblocked.Task.WaitAsync(Deadline);
        Assert.False(stubbed.Connection.IsBlocked);
    }
}
