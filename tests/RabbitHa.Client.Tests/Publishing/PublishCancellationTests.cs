using RabbitHa.Client.Internal.Publishing;

namespace RabbitHa.Client.Tests.Publishing;

[Trait("Category", "Unit")]
public sealed class PublishCancellationTests
{
    [Fact]
    public void End_OfAPublishWhoseLimitDidNotFire_KeepsTheSourceForTheNext()
    {
        using var cancellation = new PublishCancellation(CancellationToken.None);
        cancellation.Begin(CancellationToken.None);
        cancellation.Limit(TimeSpan.FromMinutes(1), isDeadline: true);
        var first = cancellation.Token;
        cancellation.End();

        cancellation.Begin(CancellationToken.None);

        Assert.Equal(first, cancellation.Token);
        Assert.False(cancellation.Token.IsCancellationRequested);
        Assert.False(cancellation.LimitIsDeadline);
    }

    [Fact]
    public async Task End_OfAPublishWhoseLimitFired_ReplacesTheSource()
    {
        using var cancellation = new PublishCancellation(CancellationToken.None);
        cancellation.Begin(CancellationToken.None);
        cancellation.Limit(TimeSpan.FromTicks(1), isDeadline: false);
        var fired = cancellation.Token;
        await Task.Delay(Timeout.Infinite, fired).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(5));
        cancellation.End();

        cancellation.Begin(CancellationToken.None);

        Assert.NotEqual(fired, cancellation.Token);
        Assert.False(cancellation.Token.IsCancellationRequested);
    }

    [Fact]
    public async Task Limit_FiresForItsLimit_AndReplacesAFiredSourceOnTheNextLimit()
    {
        using var publisher = new CancellationTokenSource();
        using var cancellation = new PublishCancellation(publisher.Token);
        cancellation.Begin(CancellationToken.None);

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

    [Fact]
    public async Task Token_FollowsTheCallerOfTheCurrentPublishOnly()
    {
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();
        using var cancellation = new PublishCancellation(CancellationToken.None);
        cancellation.Begin(first.Token);
        cancellation.Limit(TimeSpan.FromMinutes(1), isDeadline: true);
        cancellation.End();

        cancellation.Begin(second.Token);
        cancellation.Limit(TimeSpan.FromMinutes(1), isDeadline: true);
        await first.CancelAsync();
        Assert.False(cancellation.Token.IsCancellationRequested);

        await second.CancelAsync();
        Assert.True(cancellation.Token.IsCancellationRequested);
        Assert.False(cancellation.LimitReached);
    }
}
