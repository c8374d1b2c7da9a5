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
        var attempt = new PublishAttempt(null!, "ex", "rk", ReadOnlyMemory<byte>.Empty, original, mandatory: true);

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
        var attempt = new PublishAttempt(null!, "orders", "eu", ReadOnlyMemory<byte>.Empty, new BasicProperties { MessageId = "m1" }, mandatory: true);
        attempt.StartSend();
        attempt.StartSend();

        var failure = attempt.Fail(PublishFailureReason.Nacked, "nacked by the broker 4 time(s)", null);

        Assert.Equal(PublishFailureReason.Nacked, failure.Reason);
        Assert.Equal("m1", failure.MessageId);
        Assert.Equal(2, failure.Attempts);
        Assert.Equal("Publishing message 'm1' to exchange 'orders' with routing key 'eu' failed after 2 attempt(s): nacked by the broker 4 time(s)", failure.Message);
    }
}
