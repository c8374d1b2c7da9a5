using System.Net.Sockets;
using Polly.Timeout;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client;

/// <summary>Sorts what a send can fail with into "send again" and "give up".</summary>
internal static class PublishFailureClassifier
{
    /// <summary>
    /// The broker closed the channel because of what was published: no such exchange (404), access refused (403),
    /// resource locked (405), precondition failed (406). Sending the same message again fails the same way;
    /// other messages in flight on that channel fail with it through no fault of their own.
    /// </summary>
    public static bool IsRejection(Exception exception) =>
        exception is OperationInterruptedException { ShutdownReason: { Initiator: ShutdownInitiator.Peer } reason }
        && reason.ReplyCode is Constants.AccessRefused or Constants.NotFound or Constants.ResourceLocked or Constants.PreconditionFailed;

    /// <summary>
    /// A failure that says nothing about the message: the connection or channel went away (a node died, HAProxy
    /// cut the session, the broker is shutting down), the connection could not be opened yet, or the confirm did
    /// not arrive in time. The same message is sent again once the connection is back.
    /// </summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        PublishException => false,
        OperationInterruptedException => !IsRejection(exception),
        TimeoutRejectedException => true,
        RabbitHaConnectionException => true,
        IOException or SocketException => true,
        _ => false,
    };

    /// <summary>What the retry pipeline sends again: transient failures, nacks and rejections still within their bounds
    /// (the publisher throws <see cref="RabbitHaPublishException"/> once a bound is reached, which is never retried).</summary>
    public static bool IsRetriable(Exception exception) =>
        exception is PublishException { IsReturn: false } || IsRejection(exception) || IsTransient(exception);

    /// <summary>A short description for logs and messages: the exception type and the broker's reply, if any.</summary>
    public static string Describe(Exception exception) => exception switch
    {
        OperationInterruptedException { ShutdownReason: { } reason } =>
            $"{exception.GetType().Name} ({reason.Initiator}, {reason.ReplyCode} {reason.ReplyText})",
        _ => $"{exception.GetType().Name}: {exception.Message}",
    };
}
