using RabbitHa.Client.Tests.TestSupport;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace RabbitHa.Client.Tests;

/// <summary>
/// <see cref="IRabbitHaConnection.ConnectAsync"/> completes when the connection is open: it connects if nobody has, and waits
/// through a recovery under way for as long as the caller lets it. The hosted service's start waits for the first connect only.
/// </summary>
[Trait("Category", "Unit")]
public sealed class RabbitHaConnectionConnectAsyncTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ConnectAsync_WhileRecovering_CompletesOnlyOnceTheRecoverySucceeds()
    {
        await using StubbedConnection stubbed = await StubbedConnection.OpenAsync();
        await stubbed.Stub.LoseAsync();

        Task connecting = stubbed.Connection.ConnectAsync();
        await Task.Delay(50);
        Assert.False(connecting.IsCompleted, $"returned while {stubbed.Connection.State}");

        // One attempt fails; RabbitMQ.Client's loop waits out the pause that follows (at most 300 ms, on the fake clock).
        Task attempt = stubbed.Stub.FailRecoveryAttemptAsync(new IOException("connection refused"));
        stubbed.Time.Advance(TimeSpan.FromSeconds(1));
        await attempt.WaitAsync(Deadline);
        Assert.False(connecting.IsCompleted, "returned after a failed recovery attempt");

        await stubbed.Stub.RecoverAsync();
        await connecting.WaitAsync(Deadline);
        Assert.Equal(RabbitHaConnectionState.Open, stubbed.Connection.State);
    }

    [Fact]
    public async Task ConnectAsync_WhenOpen_ReturnsAtOnce()
    {
        await using StubbedConnection stubbed = await StubbedConnection.OpenAsync();

        Task connecting = stubbed.Connection.ConnectAsync();

        Assert.True(connecting.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task ConnectAsync_WhileRecovering_StopsWaitingWhenTheCallerCancels_AndTheRecoveryGoesOn()
    {
        await using StubbedConnection stubbed = await StubbedConnection.OpenAsync();
        await stubbed.Stub.LoseAsync();
        using var cts = new CancellationTokenSource();

        Task connecting = stubbed.Connection.ConnectAsync(cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connecting.WaitAsync(Deadline));
        Assert.Equal(RabbitHaConnectionState.Recovering, stubbed.Connection.State);
        await stubbed.Stub.RecoverAsync();
        await stubbed.Connection.ConnectAsync().WaitAsync(Deadline);
    }

    [Fact]
    public async Task ConnectAsync_WhenTheConnectionIsClosedDuringARecovery_ThrowsObjectDisposedException()
    {
        StubbedConnection stubbed = await StubbedConnection.OpenAsync();
        await stubbed.Stub.LoseAsync();
        Task connecting = stubbed.Connection.ConnectAsync();

        await stubbed.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => connecting.WaitAsync(Deadline));
    }

    [Fact]
    public async Task ConnectAsync_AfterTheBrokerClosedTheConnectionForGood_ConnectsAgain()
    {
        await using StubbedConnection stubbed = await StubbedConnection.OpenAsync();
        await stubbed.Stub.LoseAsync(new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.AccessRefused, "ACCESS_REFUSED - user deleted"));
        Assert.Equal(RabbitHaConnectionState.Disconnected, stubbed.Connection.State);

        await stubbed.Connection.ConnectAsync().WaitAsync(Deadline);

        Assert.Equal(RabbitHaConnectionState.Open, stubbed.Connection.State);
    }

    [Fact]
    public async Task StartAsync_OfTheHostedService_WaitsForTheFirstConnectOnly_NotThroughARecovery()
    {
        await using StubbedConnection stubbed = StubbedConnection.Create();
        await stubbed.Connection.StartAsync(CancellationToken.None).WaitAsync(Deadline);
        Assert.Equal(RabbitHaConnectionState.Open, stubbed.Connection.State);
        await stubbed.Stub.LoseAsync();

        // The host's start is bounded by Startup:Timeout per connection; a recovery has no bound of its own.
        await stubbed.Connection.StartAsync(CancellationToken.None).WaitAsync(Deadline);

        Assert.Equal(RabbitHaConnectionState.Recovering, stubbed.Connection.State);
    }
}
