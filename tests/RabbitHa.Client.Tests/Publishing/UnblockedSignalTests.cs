using RabbitHa.Client.Internal.Publishing;
using RabbitHa.Client.Tests.TestSupport;

namespace RabbitHa.Client.Tests.Publishing;

[Trait("Category", "Unit")]
public sealed class UnblockedSignalTests
{
    [Fact]
    public void WaitAsync_WhileNotBlocked_CompletesAtOnce()
    {
        using var signal = new UnblockedSignal(new StubConnection());

        Assert.True(signal.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitAsync_WhileBlocked_CompletesWhenUnblocked()
    {
        var connection = new StubConnection();
        using var signal = new UnblockedSignal(connection);

        connection.RaiseBlocked("low on memory");
        var waiting = signal.WaitAsync(CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        connection.RaiseUnblocked();
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void WaitAsync_WhenTheConnectionWasBlockedBeforeTheSignalExisted_Waits()
    {
        var connection = new StubConnection { BlockedReason = "low on disk" };
        using var signal = new UnblockedSignal(connection);

        Assert.False(signal.WaitAsync(CancellationToken.None).IsCompleted);
    }

    [Fact]
    public async Task WaitAsync_WhenCancelled_Throws()
    {
        var connection = new StubConnection();
        using var signal = new UnblockedSignal(connection);
        connection.RaiseBlocked("low on memory");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => signal.WaitAsync(cancel.Token));
    }

    [Fact]
    public void Dispose_ReleasesWaitersAndUnsubscribes()
    {
        var connection = new StubConnection();
        var signal = new UnblockedSignal(connection);
        connection.RaiseBlocked("low on memory");
        var waiting = signal.WaitAsync(CancellationToken.None);

        signal.Dispose();
        connection.RaiseBlocked("again");

        Assert.True(waiting.IsCompletedSuccessfully);
        Assert.True(signal.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);
    }
}
