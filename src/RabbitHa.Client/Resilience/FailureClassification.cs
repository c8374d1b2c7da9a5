using System.Net.Sockets;
using System.Threading.Channels;
using Polly.Timeout;
using RabbitHa.Client.Internal.Publishing;
using RabbitHa.Client.Internal.Topology;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Internal.Resilience;

/// <summary>
/// What a failure means, for everything RabbitHa does again by itself: the first connect, a send, a subscription. Each
/// caller asks its own question (a connect reads the whole chain and knows which failures no retry can fix; a send tells a
/// message the broker refused from a lost connection), but all of them start from the same facts, so that a failure
/// RabbitMQ.Client adds or one RabbitHa learns about is taught in one place.
/// </summary>
/// <remarks>
/// RabbitMQ.Client wraps whatever stopped the first connect in a <see cref="BrokerUnreachableException"/>, around an
/// <see cref="AggregateException"/> when several endpoints were tried, so the connect rules read the whole chain; a send
/// or a subscription fails with the exception itself, so those rules read only it.
/// </remarks>
internal static class FailureClassification
{
    private const int MaxDepth = 16;

    /// <summary>Reply codes after which connecting again cannot help: access-refused, not-found, precondition-failed, not-allowed (such as an unknown virtual host).</summary>
    private static readonly ushort[] s_permanentConnectReplyCodes =
        [Constants.AccessRefused, Constants.NotFound, Constants.PreconditionFailed, Constants.NotAllowed];

    /// <summary>
    /// The connection or the channel went away, or the broker did not answer in time: a node died, HAProxy cut the session,
    /// the broker is shutting down, the socket failed. Nothing about it is the caller's fault.
    /// </summary>
    /// <remarks>A channel the broker closed (<see cref="OperationInterruptedException"/> from the peer) is one of these too; a send
    /// tells a refusal of its message apart first (<see cref="IsPublishRejection"/>).</remarks>
    public static bool IsConnectivityLoss(Exception exception) =>
        exception is OperationInterruptedException or IOException or SocketException or TimeoutException;

    /// <summary>Whether the broker refused the credentials.</summary>
    /// <remarks>
    /// RabbitMQ.Client throws <see cref="AuthenticationFailureException"/> when the broker answers ACCESS_REFUSED.
    /// Its base, <see cref="PossibleAuthenticationFailureException"/>, is also thrown when the connection merely
    /// dropped during the handshake (a node stopping, the proxy cutting a half-open backend), which is exactly
    /// what happens while a cluster comes up; it counts as an authentication failure only when its cause says 403.
    /// </remarks>
    public static bool IsAuthenticationFailure(Exception exception) =>
        Flatten(exception).Any(static e => e switch
        {
            AuthenticationFailureException => true,
            PossibleAuthenticationFailureException possible => Flatten(possible).Any(static inner =>
                inner is OperationInterruptedException { ShutdownReason.ReplyCode: Constants.AccessRefused }),
            _ => false,
        });

    /// <summary>Whether a TLS handshake failed: a certificate refused, or no protocol both sides speak.</summary>
    public static bool IsTlsFailure(Exception exception) =>
        Flatten(exception).Any(static e => e is System.Security.Authentication.AuthenticationException);

    /// <summary>Whether a connect failed in a way that connecting again cannot fix (wrong credentials, missing virtual host, TLS).</summary>
    public static bool IsPermanentConnectFailure(Exception exception) =>
        IsAuthenticationFailure(exception) || Flatten(exception).Any(static e => e switch
        {
            ProtocolVersionMismatchException => true,
            System.Security.Authentication.AuthenticationException => true, // TLS: certificate or protocol mismatch
            OperationInterruptedException { ShutdownReason: { } reason } => s_permanentConnectReplyCodes.Contains(reason.ReplyCode),
            _ => false,
        });

    /// <summary>
    /// Whether a connect failure is worth retrying: the cluster is not up yet, a node is restarting, the proxy has no live
    /// backend. The broker refusing a declaration of the configured topology is not a connect failure: the connection opens
    /// without it (see <see cref="TopologyRefusals"/>).
    /// </summary>
    /// <param name="exception">What the attempt threw.</param>
    /// <param name="cancellationToken">
    /// The token the attempt ran under (the caller's, linked with any overall timeout). A cancellation is transient
    /// unless this token asked for it: RabbitMQ.Client reports a handshake or continuation timeout (a channel open or
    /// a declaration the broker did not answer in time, as during a failover) as a cancellation of its own.
    /// </param>
    public static bool IsTransientConnectFailure(Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (IsPermanentConnectFailure(exception))
        {
            return false;
        }

        bool stopped = cancellationToken.IsCancellationRequested;
        return Flatten(exception).Any(e => e switch
        {
            OperationCanceledException => !stopped,
            BrokerUnreachableException
                or ConnectFailureException
                or PossibleAuthenticationFailureException => true,
            _ => IsConnectivityLoss(e),
        });
    }

    /// <summary>
    /// The broker closed the channel because of what was published: no such exchange (404), access refused (403),
    /// resource locked (405), precondition failed (406). Every message in flight on that channel fails with it;
    /// <see cref="ChannelRejection"/> tells the one it was about from the others.
    /// </summary>
    public static bool IsPublishRejection(Exception exception) =>
        exception is OperationInterruptedException { ShutdownReason: { Initiator: ShutdownInitiator.Peer } reason }
        && reason.ReplyCode is Constants.AccessRefused or Constants.NotFound or Constants.ResourceLocked or Constants.PreconditionFailed;

    /// <summary>
    /// A send failure that says nothing about the message: a connectivity loss (<see cref="IsConnectivityLoss"/>) that is not
    /// a refusal of it, the connection could not be opened yet, the confirm did not come within ConfirmTimeout, or the
    /// connection's writer was already closed. The same message is sent again once the connection is back.
    /// </summary>
    public static bool IsTransientSendFailure(Exception exception) => exception switch
    {
        PublishException => false,
        OperationInterruptedException => !IsPublishRejection(exception),
        TimeoutRejectedException or RabbitHaConnectionException or ChannelClosedException => true,
        _ => IsConnectivityLoss(exception),
    };

    /// <summary>What the publisher's retry sends again: transient failures, nacks within their bound, and channels closed by
    /// another message (the publisher throws <see cref="RabbitHaPublishException"/> once a message itself is to blame,
    /// which is never retried).</summary>
    public static bool IsRetriableSendFailure(Exception exception) =>
        exception is PublishException { IsReturn: false } || IsPublishRejection(exception) || IsTransientSendFailure(exception);

    /// <summary>
    /// Why a message is sent again, for the <c>rabbitha.publish.resent</c> event: <c>confirm_timeout</c> (no confirm within
    /// ConfirmTimeout), <c>nacked</c>, <c>channel_closed_by_broker</c> (another message's refusal closed the shared channel),
    /// <c>broker_timeout</c> (RabbitMQ.Client gave up waiting for channel.open or confirm.select), <c>connection_unavailable</c>
    /// (the connection could not be opened yet), <c>connection_lost</c> (the connection or channel went away with the confirm).
    /// </summary>
    public static string ResendReason(Exception? exception) => exception switch
    {
        TimeoutRejectedException => "confirm_timeout",
        PublishException => "nacked",
        OperationInterruptedException when IsPublishRejection(exception) => "channel_closed_by_broker",
        TimeoutException => "broker_timeout",
        RabbitHaConnectionException => "connection_unavailable",
        null => "unknown",
        _ => "connection_lost",
    };

    /// <summary>
    /// Whether a subscribe failure is one the next attempt may not meet: a connectivity loss, the connection not open yet,
    /// the broker refusing (a missing queue), or RabbitMQ.Client's protocol violation. Anything else is logged as a surprise,
    /// with its stack trace; the consumer tries again either way.
    /// </summary>
    public static bool IsTransientSubscribeFailure(Exception exception) =>
        exception is RabbitHaConnectionException or ProtocolViolationException || IsConnectivityLoss(exception);

    /// <summary>The messages of the innermost exceptions, which say what actually happened (RabbitMQ.Client's outer ones do not).</summary>
    /// <remarks>For connect and recovery failures, which RabbitMQ.Client wraps in exceptions that say nothing.</remarks>
    public static string DescribeCauses(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        IEnumerable<string> causes = Flatten(exception)
            .Where(static e => e.InnerException is null && e is not AggregateException)
            .Select(static e => e is OperationCanceledException
                // "A task was canceled." alone does not say that it was RabbitMQ.Client giving up on the broker.
                ? $"{e.GetType().Name}: {e.Message} (no answer in time: a connection, handshake or continuation timeout)"
                : $"{e.GetType().Name}: {e.Message}")
            .Distinct(StringComparer.Ordinal);
        string description = string.Join("; ", causes);
        return description.Length == 0 ? $"{exception.GetType().Name}: {exception.Message}" : description;
    }

    /// <summary>The exception type and the broker's reply, if any (<c>AlreadyClosedException (Peer, 404 NOT_FOUND - no exchange 'x')</c>).</summary>
    /// <remarks>For a send: which exception it was tells a lost connection from a timeout.</remarks>
    public static string DescribeWithType(Exception exception) => exception switch
    {
        OperationInterruptedException { ShutdownReason: { } reason } =>
            $"{exception.GetType().Name} ({reason.Initiator}, {reason.ReplyCode} {reason.ReplyText})",
        _ => $"{exception.GetType().Name}: {exception.Message}",
    };

    /// <summary>The broker's own words when it has any (<c>404 NOT_FOUND - no queue 'orders' in vhost '/'</c>), else the message.</summary>
    /// <remarks>For a consumer's subscription and its dead-letter queue, where the reply is what an operator acts on.</remarks>
    public static string DescribeReply(Exception exception) => exception is OperationInterruptedException { ShutdownReason: { } reason }
        ? $"{reason.ReplyCode} {reason.ReplyText}"
        : exception.Message;

    private static IEnumerable<Exception> Flatten(Exception exception)
    {
        var pending = new Stack<(Exception Exception, int Depth)>();
        pending.Push((exception, 0));
        while (pending.Count > 0)
        {
            (Exception current, int depth) = pending.Pop();
            yield return current;
            if (depth >= MaxDepth)
            {
                continue;
            }

            if (current is AggregateException aggregate)
            {
                foreach (Exception inner in aggregate.InnerExceptions)
                {
                    pending.Push((inner, depth + 1));
                }
            }
            else if (current.InnerException is { } inner)
            {
                pending.Push((inner, depth + 1));
            }
        }
    }
}
