using RabbitHa.Client.Internal.Consuming;
using RabbitHa.Client.Internal.Resilience;

namespace RabbitHa.Client.Tests.Consuming;

[Trait("Category", "Unit")]
public sealed class DeliveryAttemptsTests
{
    [Theory]
    [InlineData(null, null, false, 1)]
    [InlineData(null, null, true, 2)]
    [InlineData(null, 3L, false, 4)]
    [InlineData(null, 1L, true, 2)]
    [InlineData(null, 3L, true, 4)]
    [InlineData(0L, null, false, 1)]
    [InlineData(0L, null, true, 2)]
    [InlineData(2L, null, true, 3)]
    [InlineData(2L, 4L, true, 5)]
    [InlineData(6L, 4L, true, 7)]
    [InlineData(-1L, -5L, false, 1)]
    public void Current_IsTheHighestOfTheBrokerCountTheConsumerCountAndTheRedeliveredFlag(long? brokerCount, long? failedAttempts, bool redelivered, int expected)
    {
        Assert.Equal(expected, DeliveryAttempts.Current(brokerCount, failedAttempts, redelivered));
    }

    [Fact]
    public void Current_DoesNotOverflow()
    {
        Assert.Equal(int.MaxValue, DeliveryAttempts.Current(long.MaxValue, null, true));
        Assert.Equal(int.MaxValue, DeliveryAttempts.Current(null, long.MaxValue, true));
        Assert.Equal(int.MaxValue, DeliveryAttempts.Current(null, int.MaxValue, false));
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
    public void JitteredBackoff_DoublesFromTheMinimumUpToTheMaximum_AndResets()
    {
        var backoff = new JitteredBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), random: () => 0.5);

        TimeSpan[] delays = Enumerable.Range(0, 6).Select(_ => backoff.Next()).ToArray();
        backoff.Reset();

        Assert.Equal([100, 200, 400, 800, 1000, 1000], delays.Select(d => d.TotalMilliseconds));
        Assert.Equal(TimeSpan.FromMilliseconds(100), backoff.Next());
    }

    [Fact]
    public void JitteredBackoff_JitterStaysWithinTheBounds()
    {
        var low = new JitteredBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), random: () => 0);
        var high = new JitteredBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), random: () => 0.999);

        Assert.Equal(TimeSpan.FromMilliseconds(100), low.Next());
        Assert.Equal(160, low.Next().TotalMilliseconds, 3);
        Assert.Equal(119.96, high.Next().TotalMilliseconds, 2);
        Assert.Equal(TimeSpan.FromSeconds(1), Enumerable.Range(0, 10).Select(_ => high.Next()).ToArray()[^1]);
    }

    [Fact]
    public void JitteredBackoff_WhenMaxIsShorterThanMin_ThrowsNamingIt()
    {
        Assert.Equal("max", Assert.Throws<ArgumentOutOfRangeException>(
            () => new JitteredBackoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1))).ParamName);
    }
}
