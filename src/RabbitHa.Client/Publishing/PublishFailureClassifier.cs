using System.Net.Sockets;
using System.Threading.Channels;
using Polly.Timeout;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client;

/// <summary>Sorts what a send can fail with into "send again" and "give up".</summary>
internal static class PublishFailureClassifier
{
    /// <summary>
    /// The broker closed the channel because of what was published: no such exchange (404), access refused (403),
    /// resource locked (405), precondition failed (406). Every message in flight on that channel fails with it;
    /// <see cref="ChannelRejection"/> tells the one it was about from the others.
    /// </summary>
    public static bool IsRejection(Exception exception) =>
        exception is OperationInterruptedException { ShutdownReason: { Initiator: ShutdownInitiator.Peer } reason }
        && reason.ReplyCode is Constants.AccessRefused or Constants.NotFound or Constants.ResourceLocked or Constants.PreconditionFailed;

    /// <summary>
    /// A failure that says nothing about the message: the connection or channel went away (a node died, HAProxy
    /// cut the session, the broker is shutting down), the connection could not be opened yet, the broker did not
    /// answer in time (a confirm, or RabbitMQ.Client's own wait for channel.open or confirm.select), or the
    /// connection's writer was already closed. The same message is sent again once the connection is back.
    /// </summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        PublishException => false,
        OperationInterruptedException => !IsRejection(exception),
        TimeoutRejectedException or TimeoutException => true,
        RabbitHaConnectionException => true,
        IOException or SocketException => true,
        ChannelClosedException => true,
        _ => false,
    };

    /// <summary>What the retry pipeline sends again: transient failures, nacks within their bound, and channels closed by
    /// another message (the publisher throws <see cref="RabbitHaPublishException"/> once a message itself is to blame,
    /// which is never retried).</summary>
    public static bool IsRetriable(Exception exception) =>
        exception is PublishException { IsReturn: false } || IsRejection(exception) || IsTransient(exception);

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
        OperationInterruptedException when IsRejection(exception) => "channel_closed_by_broker",
        TimeoutException => "broker_timeout",
        RabbitHaConnectionException => "connection_unavailable",
        null => "unknown",
        _ => "connection_lost",
    };

    /// <summary>A short description for logs and messages: the exception type and the broker's reply, if any.</summary>
    public static string Describe(Exception exception) => exception switch
    {
        OperationInterruptedException { ShutdownReason: { } reason } =>
            $"{exception.GetType().Name} ({reason.Initiator}, {reason.ReplyCode} {reason.ReplyText})",
        _ => $"{exception.GetType().Name}: {exception.Message}",
    };
}
