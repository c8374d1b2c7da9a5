using RabbitHa.Client.Internal.Publishing;
using RabbitMQ.Client;

namespace RabbitHa.Client.Tests.Publishing;

[Trait("Category", "Unit")]
public sealed class PublishAttemptPoolTests
{
    [Fact]
    public void Rent_AfterAReturn_ReusesTheAttempt_WithoutTheMessage()
    {
        var pool = new PublishAttemptPool(null!, capacity: 4, CancellationToken.None);
        var attempt = pool.Rent();
        attempt.Begin("orders", "eu", new byte[1024], new BasicProperties { MessageId = "m1" }, mandatory: true, activity: null, CancellationToken.None);
        attempt.Dispose();

        pool.Return(attempt);

        Assert.Equal(1, pool.Count);
        Assert.True(attempt.Pooled);
        Assert.True(attempt.Body.IsEmpty);
        Assert.Null(attempt.Properties);
        var again = pool.Rent();
        Assert.Same(attempt, again);
        Assert.False(again.Pooled);
        Assert.Equal(0, pool.Count);
    }

    [Fact]
    public void Return_BeyondTheCapacity_KeepsOnlyTheCapacity()
    {
        var pool = new PublishAttemptPool(null!, capacity: 2, CancellationToken.None);
        var attempts = new[] { pool.Rent(), pool.Rent(), pool.Rent() };

        foreach (var attempt in attempts)
        {
            pool.Return(attempt);
        }

        Assert.Equal(2, pool.Count);
        Assert.False(attempts[2].Pooled);
        Assert.NotSame(attempts[2], pool.Rent());
    }
}
