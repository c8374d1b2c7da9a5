using System.Net.Sockets;
using Polly.Timeout;
using RabbitHa.Client.Internal.Resilience;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Tests.Resilience;

/// <summary>Each caller's rule (connect, send, subscribe) and each description, in the one place that holds them.</summary>
[Trait("Category", "Unit")]
public sealed class FailureClassificationTests
{
    public static TheoryData<Exception> TransientFailures => new()
    {
        new BrokerUnreachableException(new AggregateException(new SocketException((int)SocketError.ConnectionRefused))),
        new BrokerUnreachableException(new AggregateException(new SocketException((int)SocketError.ConnectionRefused), new TimeoutException())),
        new SocketException((int)SocketError.HostUnreachable),
        new ConnectFailureException("connect failed", new SocketException((int)SocketError.ConnectionReset)),
        new IOException("stream ended"),
        new TimeoutException(),
        new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Library, Constants.InternalError, "End of stream")),
        new OperationInterruptedException(new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.ConnectionForced, "CONNECTION_FORCED - shutdown")),

        // The handshake cut short by a stopping node or the proxy: RabbitMQ.Client calls it a *possible* authentication failure.
        new BrokerUnreachableException(new PossibleAuthenticationFailureException("Possibly caused by authentication failure",
            new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Library, Constants.InternalError, "End of stream")))),
        new BrokerUnreachableException(new PossibleAuthenticationFailureException("Possibly caused by authentication failure",
            new OperationInterruptedException(new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.ConnectionForced, "CONNECTION_FORCED")))),
    };

    public static TheoryData<Exception> PermanentFailures => new()
    {
        new BrokerUnreachableException(new AuthenticationFailureException("ACCESS_REFUSED - Login was refused")),
        new BrokerUnreachableException(new AggregateException(new PossibleAuthenticationFailureException("Possibly caused by authentication failure",
            new OperationInterruptedException(new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.AccessRefused, "ACCESS_REFUSED"))))),
        new OperationInterruptedException(new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.PreconditionFailed, "PRECONDITION_FAILED - inequivalent arg")),
        new BrokerUnreachableException(new OperationInterruptedException(new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.NotAllowed, "NOT_ALLOWED - vhost not found"))),
        new OperationInterruptedException(new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.AccessRefused, "ACCESS_REFUSED - no permission")),
        new BrokerUnreachableException(new System.Security.Authentication.AuthenticationException("certificate rejected")),
    };

    [Theory]
    [MemberData(nameof(TransientFailures))]
    public void IsTransientConnectFailure_WhenNetworkOrAvailabilityFailure_ReturnsTrue(Exception exception)
    {
        Assert.True(FailureClassification.IsTransientConnectFailure(exception, CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(PermanentFailures))]
    public void IsTransientConnectFailure_WhenAuthenticationOrConfigurationFailure_ReturnsFalse(Exception exception)
    {
        Assert.False(FailureClassification.IsTransientConnectFailure(exception, CancellationToken.None));
        Assert.True(FailureClassification.IsPermanentConnectFailure(exception));
    }

    [Theory]
    [InlineData(typeof(InvalidOperationException))]
    [InlineData(typeof(ArgumentException))]
    public void IsTransientConnectFailure_WhenUnrelatedException_ReturnsFalse(Type type)
    {
        Assert.False(FailureClassification.IsTransientConnectFailure((Exception)Activator.CreateInstance(type)!, CancellationToken.None));
    }

    public static TheoryData<Exception> ContinuationTimeouts => new()
    {
        // AsyncRpcContinuation completes a channel.open or a declaration past ContinuationTimeout as cancelled.
        new TaskCanceledException("A task was canceled."),
        new OperationCanceledException(new CancellationToken(canceled: true)),

        // ConnectionFactory wraps a cancellation that is not its caller's (the handshake timing out).
        new BrokerUnreachableException(new TaskCanceledException()),
    };

    [Theory]
    [MemberData(nameof(ContinuationTimeouts))]
    public void IsTransientConnectFailure_WhenRabbitMqClientCancelledAnOperationOfItsOwn_ReturnsTrue(Exception exception)
    {
        Assert.True(FailureClassification.IsTransientConnectFailure(exception, CancellationToken.None));
    }

    [Theory]
    [InlineData(typeof(TaskCanceledException))]
    [InlineData(typeof(OperationCanceledException))]
    public void IsTransientConnectFailure_WhenTheCallersTokenWasCancelled_ReturnsFalse(Type type)
    {
        using var stop = new CancellationTokenSource();
        stop.Cancel();

        Assert.False(FailureClassification.IsTransientConnectFailure((Exception)Activator.CreateInstance(type)!, stop.Token));
    }

    [Fact]
    public void IsTransientConnectFailure_WhenCancellationComesWithAPermanentFailure_ReturnsFalse()
    {
        var exception = new AggregateException(
            new TaskCanceledException(),
            new AuthenticationFailureException("ACCESS_REFUSED - Login was refused"));

        Assert.False(FailureClassification.IsTransientConnectFailure(exception, CancellationToken.None));
    }

    [Fact]
    public void IsTransientConnectFailure_WhenExceptionNull_ThrowsArgumentNullExceptionNamingIt()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => FailureClassification.IsTransientConnectFailure(null!, CancellationToken.None));

        Assert.Equal("exception", ex.ParamName);
    }

    [Fact]
    public void DescribeCauses_WhenCancelled_SaysThatNoAnswerCameInTime()
    {
        string description = FailureClassification.DescribeCauses(new TaskCanceledException("A task was canceled."));

        Assert.Equal("TaskCanceledException: A task was canceled. (no answer in time: a connection, handshake or continuation timeout)", description);
    }

    [Fact]
    public void IsAuthenticationFailure_WhenWrappedByBrokerUnreachable_ReturnsTrue()
    {
        var exception = new BrokerUnreachableException(new AuthenticationFailureException("ACCESS_REFUSED"));

        Assert.True(FailureClassification.IsAuthenticationFailure(exception));
    }

    [Fact]
    public void IsAuthenticationFailure_WhenHandshakeCutShort_ReturnsFalse()
    {
        var exception = new BrokerUnreachableException(new PossibleAuthenticationFailureException("Possibly caused by authentication failure",
            new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Library, Constants.InternalError, "End of stream"))));

        Assert.False(FailureClassification.IsAuthenticationFailure(exception));
    }

    [Fact]
    public void IsAuthenticationFailure_WhenRefusedConnection_ReturnsFalse()
    {
        var exception = new BrokerUnreachableException(new AggregateException(new SocketException((int)SocketError.ConnectionRefused)));

        Assert.False(FailureClassification.IsAuthenticationFailure(exception));
    }

    [Fact]
    public void DescribeCauses_NamesTheInnermostCauses()
    {
        var exception = new BrokerUnreachableException(new AggregateException(
            new ConnectFailureException("Connection failed", new SocketException((int)SocketError.ConnectionRefused)),
            new TimeoutException("timed out")));

        string description = FailureClassification.DescribeCauses(exception);

        Assert.Contains("SocketException", description, StringComparison.Ordinal);
        Assert.Contains("TimeoutException: timed out", description, StringComparison.Ordinal);
        Assert.DoesNotContain("None of the specified endpoints", description, StringComparison.Ordinal);
    }

    [Fact]
    public void Send_ConnectionLost_IsTransientAndRetriable()
    {
        var lost = new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Library, 541, "Unexpected Exception", new IOException("reset")));

        Assert.True(FailureClassification.IsTransientSendFailure(lost));
        Assert.True(FailureClassification.IsRetriableSendFailure(lost));
        Assert.False(FailureClassification.IsPublishRejection(lost));
    }

    [Fact]
    public void Send_NodeShuttingDown_IsTransient()
    {
        var forced = new OperationInterruptedException(new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.ConnectionForced, "CONNECTION_FORCED - broker forced connection closure"));

        Assert.True(FailureClassification.IsTransientSendFailure(forced));
    }

    [Theory]
    [InlineData(Constants.NotFound)]
    [InlineData(Constants.AccessRefused)]
    [InlineData(Constants.PreconditionFailed)]
    [InlineData(Constants.ResourceLocked)]
    public void Send_ChannelClosedByTheBrokerForThePublish_IsARejectionNotTransient(int replyCode)
    {
        var rejected = new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Peer, (ushort)replyCode, "NOT_FOUND - no exchange 'x'"));

        Assert.True(FailureClassification.IsPublishRejection(rejected));
        Assert.False(FailureClassification.IsTransientSendFailure(rejected));
        Assert.True(FailureClassification.IsRetriableSendFailure(rejected));
    }

    [Fact]
    public void Send_Nack_IsRetriable_Return_IsNot()
    {
        Assert.True(FailureClassification.IsRetriableSendFailure(new PublishException(7, isReturn: false)));
        Assert.False(FailureClassification.IsRetriableSendFailure(new PublishException(7, isReturn: true)));
    }

    [Fact]
    public void Send_ConfirmTimeoutAndSocketErrors_AreTransient()
    {
        Assert.True(FailureClassification.IsTransientSendFailure(new TimeoutRejectedException()));
        Assert.True(FailureClassification.IsTransientSendFailure(new SocketException()));
        Assert.True(FailureClassification.IsTransientSendFailure(new RabbitHaConnectionException("cluster not up yet")));
    }

    [Fact]
    public void Send_RabbitMqClientsOwnTimeoutsAndAClosedWriter_AreTransient()
    {
        Assert.True(FailureClassification.IsTransientSendFailure(new TimeoutException("channel.open")));
        Assert.True(FailureClassification.IsTransientSendFailure(new System.Threading.Channels.ChannelClosedException()));
    }

    [Fact]
    public void Send_ProgrammingErrors_AreNotRetried()
    {
        Assert.False(FailureClassification.IsRetriableSendFailure(new ObjectDisposedException("channel")));
        Assert.False(FailureClassification.IsRetriableSendFailure(new ArgumentException("bad")));
        Assert.False(FailureClassification.IsRetriableSendFailure(new OperationCanceledException()));
    }

    [Fact]
    public void DescribeWithType_ShowsTheTypeAndTheBrokersReply()
    {
        var rejected = new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Peer, 404, "NOT_FOUND - no exchange 'x'"));

        Assert.Equal("AlreadyClosedException (Peer, 404 NOT_FOUND - no exchange 'x')", FailureClassification.DescribeWithType(rejected));
    }

    public static TheoryData<Exception> TransientSubscribeFailures => new()
    {
        new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Library, Constants.InternalError, "End of stream")),
        new OperationInterruptedException(new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.NotFound, "NOT_FOUND - no queue 'orders' in vhost '/'")),
        new RabbitHaConnectionException("cluster not up yet"),
        new IOException("stream ended"),
        new TimeoutException("basic.consume"),
        new SocketException((int)SocketError.ConnectionReset),
        new ProtocolViolationException("unexpected frame"),
    };

    [Theory]
    [MemberData(nameof(TransientSubscribeFailures))]
    public void IsTransientSubscribeFailure_WhenConnectionOrBrokerFailure_ReturnsTrue(Exception exception)
    {
        Assert.True(FailureClassification.IsTransientSubscribeFailure(exception));
    }

    [Theory]
    [InlineData(typeof(InvalidOperationException))]
    [InlineData(typeof(ObjectDisposedException))]
    [InlineData(typeof(OperationCanceledException))]
    public void IsTransientSubscribeFailure_WhenAnythingElse_ReturnsFalse(Type type)
    {
        Exception exception = type == typeof(ObjectDisposedException) ? new ObjectDisposedException("channel") : (Exception)Activator.CreateInstance(type)!;

        Assert.False(FailureClassification.IsTransientSubscribeFailure(exception));
    }

    public static TheoryData<Exception, string> ResendReasons => new()
    {
        { new TimeoutRejectedException(), "confirm_timeout" },
        { new PublishException(7, isReturn: false), "nacked" },
        { new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.NotFound, "NOT_FOUND - no exchange 'x'")), "channel_closed_by_broker" },
        { new TimeoutException("channel.open"), "broker_timeout" },
        { new RabbitHaConnectionException("cluster not up yet"), "connection_unavailable" },
        { new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Library, Constants.InternalError, "End of stream")), "connection_lost" },
        { new IOException("reset"), "connection_lost" },
    };

    [Theory]
    [MemberData(nameof(ResendReasons))]
    public void ResendReason_NamesWhySent(Exception exception, string expected)
    {
        Assert.Equal(expected, FailureClassification.ResendReason(exception));
    }

    [Fact]
    public void ResendReason_WhenNoError_IsUnknown()
    {
        Assert.Equal("unknown", FailureClassification.ResendReason(null));
    }

    [Fact]
    public void DescribeReply_WhenTheBrokerAnswered_QuotesItsReply()
    {
        var refused = new OperationInterruptedException(new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.NotFound, "NOT_FOUND - no queue 'orders' in vhost '/'"));

        Assert.Equal("404 NOT_FOUND - no queue 'orders' in vhost '/'", FailureClassification.DescribeReply(refused));
    }

    [Fact]
    public void DescribeReply_WhenNoReply_IsTheMessage()
    {
        Assert.Equal("stream ended", FailureClassification.DescribeReply(new IOException("stream ended")));
    }
}
