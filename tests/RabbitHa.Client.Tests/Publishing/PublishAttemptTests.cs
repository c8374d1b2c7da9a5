using Microsoft.Extensions.Options;
using RabbitHa.Client.Internal.Publishing;
using RabbitMQ.Client;

namespace RabbitHa.Client.Tests.Publishing;

[Trait("Category", "Unit")]
public sealed class PublishAttemptTests
{
    [Fact]
    public void StartSend_FromTheSecondSendOn_MarksTheMessageResentOnACopy()
    {
        var headers = new Dictionary<string, object?> { ["tenant"] = "a" };
        var original = new BasicProperties { MessageId = "m1", Headers = headers };
        var attempt = Begun("ex", "rk", original);

        attempt.StartSend();
        Assert.Same(original, attempt.Properties);

        attempt.StartSend();
        attempt.StartSend();

        Assert.Equal(3, attempt.Sends);
        Assert.NotSame(original, attempt.Properties);
        Assert.Equal(true, attempt.Properties.Headers![RabbitHaHeaders.Resent]);
        Assert.Equal("a", attempt.Properties.Headers["tenant"]);
        Assert.Equal("m1", attempt.Properties.MessageId);
        Assert.False(headers.ContainsKey(RabbitHaHeaders.Resent));
    }

    [Fact]
    public void Fail_DescribesTheMessageAndTheSends()
    {
        var attempt = Begun("orders", "eu", new BasicProperties { MessageId = "m1" });
        attempt.StartSend();
        attempt.StartSend();

        var failure = attempt.Fail(RabbitHaPublishFailureReason.Nacked, "nacked by the broker 4 time(s)", null);

        Assert.Equal(RabbitHaPublishFailureReason.Nacked, failure.Reason);
        Assert.Equal("m1", failure.MessageId);
        Assert.Equal(2, failure.Attempts);
        Assert.Equal("Publishing message 'm1' to exchange 'orders' with routing key 'eu' failed after 2 attempt(s): nacked by the broker 4 time(s)", failure.Message);
    }

    [Fact]
    public void Begin_AfterAnEndedPublish_LeavesNothingOfIt()
    {
        var attempt = Begun("orders", "eu", new BasicProperties { MessageId = "m1" });
        attempt.StartSend();
        attempt.StartSend();
        attempt.Nacks = 1;
        attempt.UnexplainedClosures = 1;
        attempt.Isolated = true;
        attempt.Admitted = true;
        attempt.HoldsSlot = true;
        attempt.LastError = new TimeoutException();
        attempt.Cancellation.Limit(TimeSpan.FromTicks(1), isDeadline: true);
        attempt.Dispose();
        attempt.Clear();

        using var caller = new CancellationTokenSource();
        var next = new BasicProperties { MessageId = "m2" };
        attempt.Begin("billing", "us", new byte[3], next, mandatory: false, activity: null, caller.Token);

        Assert.Equal(("billing", "us", 3, "m2", false), (attempt.Exchange, attempt.RoutingKey, attempt.Body.Length, attempt.MessageId, attempt.Mandatory));
        Assert.Same(next, attempt.Properties);
        Assert.Equal(caller.Token, attempt.CallerToken);
        Assert.Equal((0, 0, 0), (attempt.Sends, attempt.Nacks, attempt.UnexplainedClosures));
        Assert.False(attempt.Isolated || attempt.Admitted || attempt.HoldsSlot);
        Assert.Null(attempt.LastError);
        Assert.False(attempt.Cancellation.Token.IsCancellationRequested);
        Assert.True(attempt.Elapsed < TimeSpan.FromSeconds(5));
    }

    private static PublishAttempt Begun(string exchange, string routingKey, BasicProperties properties)
    {
        var attempt = new PublishAttempt(null!, CancellationToken.None);
        attempt.Begin(exchange, routingKey, ReadOnlyMemory<byte>.Empty, properties, mandatory: true, activity: null, CancellationToken.None);
        return attempt;
    }
}
