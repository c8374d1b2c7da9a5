using Microsoft.Extensions.Time.Testing;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Tests.TestSupport;
using RabbitMQ.Client;

namespace RabbitHa.Client.Tests;

/// <summary>
/// A recovery of RabbitMQ.Client's that goes Recovery:AttemptTimeout without an attempt ending is given up on: the
/// stalled connection is let go and a new one opened in its place (seen in the chaos suite: a reconnection waiting for
/// the broker's first frame for minutes).
/// </summary>
[Trait("Category", "Unit")]
public sealed class RabbitHaConnectionStalledRecoveryTests
{
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Recovery_WithNoAttemptEndingWithinTheAttemptTimeout_IsReplacedByANewConnection()
    {
        var time = new FakeTimeProvider();
        using var logs = new CapturingLoggerProvider();
        (IConnection first, StubAmqpConnection firstStub) = StubAmqpConnection.Create(new DeclaringBroker(), "RabbitMQ", "4.0.5");
        (IConnection second, _) = StubAmqpConnection.Create(new DeclaringBroker(), "RabbitMQ", "4.0.5");
        var opened = new Queue<IConnection>([first, second]);
        await using RabbitHaConnection connection = CreateConnection(() => opened.Dequeue(), time, logs);
        int recovered = 0;
        connection.ConnectionRecovered += (_, _) => Interlocked.Increment(ref recovered);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<RabbitHaRecoveryFailedEventArgs>();
        connection.RecoveryFailed += (_, e) => failures.Enqueue(e);
        await connection.ConnectAsync();

        await firstStub.LoseAsync();
        time.Advance(AttemptTimeout - TimeSpan.FromSeconds(1));
        Assert.Equal(RabbitHaConnectionState.Recovering, connection.State);

        time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.HoldsAsync(() => connection.State == RabbitHaConnectionState.Open, "the replacement connection is open");

        Assert.Empty(opened);
        await connection.Events.Raised;
        Assert.Equal(1, Volatile.Read(ref recovered));
        RabbitHaRecoveryFailedEventArgs hung = Assert.Single(failures);
        Assert.IsType<TimeoutException>(hung.Exception);
        Assert.Equal(TimeSpan.Zero, hung.NextAttemptIn);
        Assert.Contains("[RecoveryStalled]", logs.AllText, StringComparison.Ordinal);
        Assert.Contains("has gone 00:00:20 without an attempt ending", logs.AllText, StringComparison.Ordinal);
        await Eventually.HoldsAsync(() => !firstStub.HasHandlers(nameof(IConnection.RecoverySucceededAsync)), "the stalled connection is no longer listened to");

        // The stalled connection's own recovery ending late changes nothing: it is not this connection's any more.
        await firstStub.RecoverAsync();
        await connection.Events.Raised;
        Assert.Equal(1, Volatile.Read(ref recovered));
    }

    [Fact]
    public async Task Recovery_WhoseAttemptsKeepFailing_IsWatchedFromTheLastFailure_NotReplaced()
    {
        using var logs = new CapturingLoggerProvider();
        await using Lost lost = await LoseAsync(logs);

        // Each round ends 19 s after the previous failure: within the watch's 20 s plus the failure's own backoff.
        for (int i = 0; i < 3; i++)
        {
            lost.Time.Advance(AttemptTimeout - TimeSpan.FromSeconds(6));

            // The backoff after a failure (at most Recovery:MaxRetryDelay, 5 s) is awaited on the fake clock.
            Task failing = lost.Stub.FailRecoveryAttemptAsync(new IOException("connection refused"));
            lost.Time.Advance(TimeSpan.FromSeconds(5));
            await failing;
        }

        Assert.Equal(RabbitHaConnectionState.Recovering, lost.Connection.State);
        Assert.Equal(1, lost.Opens);
        Assert.DoesNotContain("[RecoveryStalled]", logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recovery_ThatSucceedsInTime_StopsTheWatch()
    {
        using var logs = new CapturingLoggerProvider();
        await using Lost lost = await LoseAsync(logs);

        await lost.Stub.RecoverAsync();
        lost.Time.Advance(AttemptTimeout * 3);

        Assert.Equal(RabbitHaConnectionState.Open, lost.Connection.State);
        Assert.Equal(1, lost.Opens);
        Assert.DoesNotContain("[RecoveryStalled]", logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Close_DuringARecovery_StopsTheWatch()
    {
        await using Lost lost = await LoseAsync(logs: null);

        await lost.Connection.DisposeAsync();
        lost.Time.Advance(AttemptTimeout * 3);

        Assert.Equal(RabbitHaConnectionState.Closed, lost.Connection.State);
        Assert.Equal(1, lost.Opens);
    }

    /// <summary>A connection opened on a stub, then lost: RabbitMQ.Client's recovery has begun and nothing else happened yet.</summary>
    private static async Task<Lost> LoseAsync(CapturingLoggerProvider? logs)
    {
        var time = new FakeTimeProvider();
        (IConnection amqp, StubAmqpConnection stub) = StubAmqpConnection.Create(new DeclaringBroker(), "RabbitMQ", "4.0.5");
        var lost = new Lost(time, stub);
        lost.Connection = CreateConnection(() => { lost.Opens++; return amqp; }, time, logs);
        await lost.Connection.ConnectAsync();
        await stub.LoseAsync();
        return lost;
    }

    private static RabbitHaConnection CreateConnection(Func<IConnection> open, TimeProvider time, CapturingLoggerProvider? logs) =>
        StubbedConnection.CreateConnection(open, time, logs, options => options.Recovery.AttemptTimeout = AttemptTimeout);

    private sealed class Lost(FakeTimeProvider time, StubAmqpConnection stub) : IAsyncDisposable
    {
        public FakeTimeProvider Time { get; } = time;

        public StubAmqpConnection Stub { get; } = stub;

        public RabbitHaConnection Connection { get; set; } = null!;

        /// <summary>Gets or sets how many RabbitMQ.Client connections were opened: 1 unless one replaced another.</summary>
        public int Opens { get; set; }

        public ValueTask DisposeAsync() => Connection.DisposeAsync();
    }
}
