namespace RabbitHa.Client.Tests.Publishing;

[Trait("Category", "Unit")]
public sealed class ConfirmTimeoutPoolTests
{
    [Fact]
    public void Rent_AfterAnUnfiredReturn_ReusesTheSameSource()
    {
        using var pool = new ConfirmTimeoutPool();
        var first = pool.Rent(TimeSpan.FromMinutes(1));
        pool.Return(first);

        var second = pool.Rent(TimeSpan.FromMinutes(1));

        Assert.Same(first, second);
        Assert.False(second.IsCancellationRequested);
    }

    [Fact]
    public async Task Rent_CancelsAfterTheTimeout()
    {
        using var pool = new ConfirmTimeoutPool();
        var source = pool.Rent(TimeSpan.FromMilliseconds(50));

        await Task.Delay(Timeout.Infinite, source.Token).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(5));

        Assert.True(source.IsCancellationRequested);
    }

    [Fact]
    public void Return_OfAFiredSource_DoesNotPoolIt()
    {
        using var pool = new ConfirmTimeoutPool();
        var fired = pool.Rent(TimeSpan.FromMinutes(1));
        fired.Cancel();
        pool.Return(fired);

        var next = pool.Rent(TimeSpan.FromMinutes(1));

        Assert.NotSame(fired, next);
        Assert.False(next.IsCancellationRequested);
    }
}
