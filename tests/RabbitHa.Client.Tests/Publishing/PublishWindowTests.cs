using RabbitHa.Client.Internal.Publishing;

namespace RabbitHa.Client.Tests.Publishing;

[Trait("Category", "Unit")]
public sealed class PublishWindowTests
{
    [Fact]
    public async Task EnterAsync_BeyondMaxWaiting_TurnsTheCallerAwayAtOnce()
    {
        var window = new PublishWindow(capacity: 1, maxWaiting: 1);
        Assert.True(window.TryEnter());
        var waiting = window.EnterAsync(CancellationToken.None).AsTask();

        Assert.False(await window.EnterAsync(CancellationToken.None));

        Assert.Equal(1, window.Waiting);
        window.Exit();
        Assert.True(await waiting);
        Assert.Equal(0, window.Waiting);
        Assert.Equal(1, window.InFlight);
    }

    [Fact]
    public async Task EnterAsync_WhenCancelled_StopsWaitingAndIsNoLongerCounted()
    {
        var window = new PublishWindow(capacity: 1, maxWaiting: 5);
        Assert.True(window.TryEnter());
        using var cancel = new CancellationTokenSource();
        var waiting = window.EnterAsync(cancel.Token).AsTask();

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, window.Waiting);
    }
}
