using System.Net.Sockets;
using Polly.Timeout;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Tests.Publishing;

[Trait("Category", "Unit")]
public sealed class PublishFailureClassifierTests
{
    [Fact]
    public void ConnectionLost_IsTransientAndRetriable()
    {
        var lost = new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Library, 541, "Unexpected Exception", new IOException("reset")));

        Assert.True(PublishFailureClassifier.IsTransient(lost));
        Assert.True(PublishFailureClassifier.IsRetriable(lost));
        Assert.False(PublishFailureClassifier.IsRejection(lost));
    }

    [Fact]
    public void NodeShuttingDown_IsTransient()
    {
        var forced = new OperationInterruptedException(new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.ConnectionForced, "CONNECTION_FORCED - broker forced connection closure"));

        Assert.True(PublishFailureClassifier.IsTransient(forced));
    }

    [Theory]
    [InlineData(Constants.NotFound)]
    [InlineData(Constants.AccessRefused)]
    [InlineData(Constants.PreconditionFailed)]
    [InlineData(Constants.ResourceLocked)]
    public void ChannelClosedByTheBrokerForThePublish_IsARejectionNotTransient(int replyCode)
    {
        var rejected = new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Peer, (ushort)replyCode, "NOT_FOUND - no exchange 'x'"));

        Assert.True(PublishFailureClassifier.IsRejection(rejected));
        Assert.False(PublishFailureClassifier.IsTransient(rejected));
        Assert.True(PublishFailureClassifier.IsRetriable(rejected));
    }

    [Fact]
    public void Nack_IsRetriable_Return_IsNot()
    {
        Assert.True(PublishFailureClassifier.IsRetriable(new PublishException(7, isReturn: false)));
        Assert.False(PublishFailureClassifier.IsRetriable(new PublishException(7, isReturn: true)));
    }

    [Fact]
    public void ConfirmTimeoutAndSocketErrors_AreTransient()
    {
        Assert.True(PublishFailureClassifier.IsTransient(new TimeoutRejectedException()));
        Assert.True(PublishFailureClassifier.IsTransient(new SocketException()));
        Assert.True(PublishFailureClassifier.IsTransient(new RabbitHaConnectionException("cluster not up yet")));
    }

    [Fact]
    public void RabbitMqClientsOwnTimeoutsAndAClosedWriter_AreTransient()
    {
        Assert.True(PublishFailureClassifier.IsTransient(new TimeoutException("channel.open")));
        Assert.True(PublishFailureClassifier.IsTransient(new System.Threading.Channels.ChannelClosedException()));
    }

    [Fact]
    public void ProgrammingErrors_AreNotRetried()
    {
        Assert.False(PublishFailureClassifier.IsRetriable(new ObjectDisposedException("channel")));
        Assert.False(PublishFailureClassifier.IsRetriable(new ArgumentException("bad")));
        Assert.False(PublishFailureClassifier.IsRetriable(new OperationCanceledException()));
    }

    [Fact]
    public void Describe_ShowsTheBrokersReply()
    {
        var rejected = new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Peer, 404, "NOT_FOUND - no exchange 'x'"));

        Assert.Equal("AlreadyClosedException (Peer, 404 NOT_FOUND - no exchange 'x')", PublishFailureClassifier.Describe(rejected));
    }
}
