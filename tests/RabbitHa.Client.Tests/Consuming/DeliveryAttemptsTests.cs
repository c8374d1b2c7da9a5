using RabbitHa.Client.Internal.Consuming;

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
}
