using System.Net.Sockets;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Tests;

[Trait("Category", "Unit")]
public sealed class ConnectionFailureClassifierTests
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
    public void IsTransient_WhenNetworkOrAvailabilityFailure_ReturnsTrue(Exception exception)
    {
        Assert.True(ConnectionFailureClassifier.IsTransient(exception, CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(PermanentFailures))]
    public void IsTransient_WhenAuthenticationOrConfigurationFailure_ReturnsFalse(Exception exception)
    {
        Assert.False(ConnectionFailureClassifier.IsTransient(exception, CancellationToken.None));
        Assert.True(ConnectionFailureClassifier.IsPermanent(exception));
    }

    [Theory]
    [InlineData(typeof(InvalidOperationException))]
    [InlineData(typeof(ArgumentException))]
    public void IsTransient_WhenUnrelatedException_ReturnsFalse(Type type)
    {
        Assert.False(ConnectionFailureClassifier.IsTransient((Exception)Activator.CreateInstance(type)!, CancellationToken.None));
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
    public void IsTransient_WhenRabbitMqClientCancelledAnOperationOfItsOwn_ReturnsTrue(Exception exception)
    {
        Assert.True(ConnectionFailureClassifier.IsTransient(exception, CancellationToken.None));
    }

    [Theory]
    [InlineData(typeof(TaskCanceledException))]
    [InlineData(typeof(OperationCanceledException))]
    public void IsTransient_WhenTheCallersTokenWasCancelled_ReturnsFalse(Type type)
    {
        using var stop = new CancellationTokenSource();
        stop.Cancel();

        Assert.False(ConnectionFailureClassifier.IsTransient((Exception)Activator.CreateInstance(type)!, stop.Token));
    }

    [Fact]
    public void IsTransient_WhenCancellationComesWithAPermanentFailure_ReturnsFalse()
    {
        var exception = new AggregateException(
            new TaskCanceledException(),
            new AuthenticationFailureException("ACCESS_REFUSED - Login was refused"));

        Assert.False(ConnectionFailureClassifier.IsTransient(exception, CancellationToken.None));
    }

    [Fact]
    public void IsTransient_WhenExceptionNull_ThrowsArgumentNullExceptionNamingIt()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => ConnectionFailureClassifier.IsTransient(null!, CancellationToken.None));

        Assert.Equal("exception", ex.ParamName);
    }

    [Fact]
    public void Describe_WhenCancelled_SaysThatNoAnswerCameInTime()
    {
        string description = ConnectionFailureClassifier.Describe(new TaskCanceledException("A task was canceled."));

        Assert.Equal("TaskCanceledException: A task was canceled. (no answer in time: a connection, handshake or continuation timeout)", description);
    }

    [Fact]
    public void IsAuthenticationFailure_WhenWrappedByBrokerUnreachable_ReturnsTrue()
    {
        var exception = new BrokerUnreachableException(new AuthenticationFailureException("ACCESS_REFUSED"));

        Assert.True(ConnectionFailureClassifier.IsAuthenticationFailure(exception));
    }

    [Fact]
    public void IsAuthenticationFailure_WhenHandshakeCutShort_ReturnsFalse()
    {
        var exception = new BrokerUnreachableException(new PossibleAuthenticationFailureException("Possibly caused by authentication failure",
            new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Library, Constants.InternalError, "End of stream"))));

        Assert.False(ConnectionFailureClassifier.IsAuthenticationFailure(exception));
    }

    [Fact]
    public void IsAuthenticationFailure_WhenRefusedConnection_ReturnsFalse()
    {
        var exception = new BrokerUnreachableException(new AggregateException(new SocketException((int)SocketError.ConnectionRefused)));

        Assert.False(ConnectionFailureClassifier.IsAuthenticationFailure(exception));
    }

    [Fact]
    public void Describe_NamesTheInnermostCauses()
    {
        var exception = new BrokerUnreachableException(new AggregateException(
            new ConnectFailureException("Connection failed", new SocketException((int)SocketError.ConnectionRefused)),
            new TimeoutException("timed out")));

        string description = ConnectionFailureClassifier.Describe(exception);

        Assert.Contains("SocketException", description, StringComparison.Ordinal);
        Assert.Contains("TimeoutException: timed out", description, StringComparison.Ordinal);
        Assert.DoesNotContain("None of the specified endpoints", description, StringComparison.Ordinal);
    }
}
