using RabbitHa.Client.Internal.Publishing;

namespace RabbitHa.Client.Tests.Publishing;

[Trait("Category", "Unit")]
public sealed class CancellationSourcePoolTests
{
    [Fact]
    public void Rent_AfterAnUnfiredReturn_ReusesTheSameSource()
    {
        using var pool = new CancellationSourcePool();
        var first = pool.Rent();
        first.CancelAfter(TimeSpan.FromMinutes(1));
        pool.Return(first);

        var second = pool.Rent();

        Assert.Same(first, second);
        Assert.False(second.IsCancellationRequested);
    }

    [Fact]
    public void Return_OfAFiredSource_DoesNotPoolIt()
    {
        using var pool = new CancellationSourcePool();
        var fired = pool.Rent();
        fired.Cancel();
        pool.Return(fired);

        var next = pool.Rent();

        Assert.NotSame(fired, next);
        Assert.False(next.IsCancellationRequested);
    }

    [Fact]
    public async Task PublishCancellation_FiresForItsLimit_AndReplacesAFiredSourceOnTheNextLimit()
    {
        using var pool = new CancellationSourcePool();
        using var publisher = new CancellationTokenSource();
        using var cancellation = new PublishCancellation(pool, CancellationToken.None, publisher.Token);

        cancellation.Limit(TimeSpan.FromMilliseconds(20), isDeadline: false);
        await Task.Delay(Timeout.Infinite, cancellation.Token).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(cancellation.LimitReached);
        Assert.False(cancellation.LimitIsDeadline);

        cancellation.Limit(TimeSpan.FromMinutes(1), isDeadline: true);
        Assert.False(cancellation.Token.IsCancellationRequested);
        Assert.True(cancellation.LimitIsDeadline);

        await publisher.CancelAsync();
        Assert.True(cancellation.Token.IsCancellationRequested);
        Assert.False(cancellation.LimitReached);
    }
}
