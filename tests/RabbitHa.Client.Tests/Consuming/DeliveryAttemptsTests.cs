namespace RabbitHa.Client.Tests.Consuming;

[Trait("Category", "Unit")]
public sealed class DeliveryAttemptsTests
{
    [Theory]
    [InlineData(null, 0, false, 1)]
    [InlineData(null, 0, true, 2)]
    [InlineData(null, 3, true, 4)]
    [InlineData(null, 3, false, 4)]
    [InlineData(0L, 0, false, 1)]
    [InlineData(2L, 0, true, 3)]
    [InlineData(2L, 9, true, 3)]
    public void Current_UsesTheQuorumHeaderElseFailuresSeenAndTheRedeliveredFlag(long? brokerCount, int failuresSeen, bool redelivered, int expected)
    {
        Assert.Equal(expected, DeliveryAttempts.Current(brokerCount, failuresSeen, redelivered));
    }

    [Fact]
    public void Current_DoesNotOverflow()
    {
        Assert.Equal(int.MaxValue, DeliveryAttempts.Current(long.MaxValue, 0, true));
        Assert.Equal(int.MaxValue, DeliveryAttempts.Current(null, int.MaxValue, true));
    }

    [Theory]
    [InlineData(1, 5, RabbitHaFailureAction.Requeue, true, false)]
    [InlineData(4, 5, RabbitHaFailureAction.Requeue, true, false)]
    [InlineData(5, 5, RabbitHaFailureAction.Requeue, true, true)]
    [InlineData(9, 5, RabbitHaFailureAction.Requeue, true, true)]
    [InlineData(1, 1, RabbitHaFailureAction.Requeue, true, true)]
    [InlineData(1, 5, RabbitHaFailureAction.DeadLetter, true, true)]
    [InlineData(1, 5, RabbitHaFailureAction.Requeue, false, true)]
    public void Decide_RequeuesBelowTheLimit_DeadLettersAtItOrWhenNotRetriable(int attempt, int max, RabbitHaFailureAction action, bool retriable, bool expectDeadLetter)
    {
        Assert.Equal(expectDeadLetter ? FailureDisposition.DeadLetter : FailureDisposition.Requeue, DeliveryAttempts.Decide(attempt, max, action, retriable));
    }

    [Fact]
    public void FailureCounter_CountsForgetsAndEvictsTheLeastRecentlyFailed()
    {
        var counter = new FailureCounter(capacity: 2);

        Assert.Equal(1, counter.Increment("a"));
        Assert.Equal(2, counter.Increment("a"));
        counter.Increment("b");
        counter.Increment("a");
        counter.Increment("c");

        Assert.Equal(3, counter.Get("a"));
        Assert.Equal(0, counter.Get("b"));
        Assert.Equal(1, counter.Get("c"));
        counter.Forget("a");
        Assert.Equal(0, counter.Get("a"));
        Assert.Equal(1, counter.Count);
    }

    [Fact]
    public void DeliveryKey_IsTheMessageIdWhenThereIsOne_ElseTheBodyHash()
    {
        Assert.Equal("id:m-1", DeliveryKey.For("m-1", "rk", "x"u8));
        Assert.Equal(DeliveryKey.For(null, "rk", "x"u8), DeliveryKey.For("", "rk", "x"u8));
        Assert.NotEqual(DeliveryKey.For(null, "rk", "x"u8), DeliveryKey.For(null, "rk", "y"u8));
    }

    [Fact]
    public void ResubscribeBackoff_DoublesFromTheMinimumUpToTheMaximum_AndResets()
    {
        var backoff = new ResubscribeBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), random: () => 0.5);

        TimeSpan[] delays = Enumerable.Range(0, 6).Select(_ => backoff.Next()).ToArray();
        backoff.Reset();

        Assert.Equal([100, 200, 400, 800, 1000, 1000], delays.Select(d => d.TotalMilliseconds));
        Assert.Equal(TimeSpan.FromMilliseconds(100), backoff.Next());
    }

    [Fact]
    public void ResubscribeBackoff_JitterStaysWithinTheBounds()
    {
        var low = new ResubscribeBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), random: () => 0);
        var high = new ResubscribeBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), random: () => 0.999);

        Assert.Equal(TimeSpan.FromMilliseconds(100), low.Next());
        Assert.Equal(160, low.Next().TotalMilliseconds, 3);
        Assert.Equal(119.96, high.Next().TotalMilliseconds, 2);
        Assert.Equal(TimeSpan.FromSeconds(1), Enumerable.Range(0, 10).Select(_ => high.Next()).ToArray()[^1]);
    }
}
