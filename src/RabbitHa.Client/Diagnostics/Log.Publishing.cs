using Microsoft.Extensions.Logging;

namespace RabbitHa.Client.Internal.Diagnostics;

/// <summary>The publisher's log messages (event ids 100-199).</summary>
/// <remarks>
/// A failed publish is thrown to its caller, who decides whether it is an error; the publisher writes it down once,
/// at Debug, beside the <c>rabbitha.publish.failed</c> metric, so that it is not reported twice at error level.
/// </remarks>
internal static partial class Log
{
    [LoggerMessage(EventId = 100, EventName = "PublishRetrying", Level = LogLevel.Debug,
        Message = "Sending a message again (send {Send}) in {RetryDelay}: {Cause}; connection {ConnectionState}.")]
    public static partial void PublishRetrying(this ILogger logger, int send, TimeSpan retryDelay, string cause, string connectionState);

    [LoggerMessage(EventId = 101, EventName = "PublishFailed", Level = LogLevel.Debug,
        Message = "Publishing message '{MessageId}' failed ({Reason}) after {Sends} send(s); the caller has the exception.")]
    public static partial void PublishFailed(this ILogger logger, string reason, string messageId, int sends, Exception exception);

    [LoggerMessage(EventId = 102, EventName = "PublishCancelled", Level = LogLevel.Debug,
        Message = "Publishing message '{MessageId}' was cancelled by the caller after {Sends} send(s); it may or may not have reached the broker.")]
    public static partial void PublishCancelled(this ILogger logger, string messageId, int sends);

    [LoggerMessage(EventId = 103, EventName = "PublishAbandoned", Level = LogLevel.Debug,
        Message = "The publisher was disposed before message '{MessageId}' was confirmed ({Sends} send(s)); it may or may not have reached the broker.")]
    public static partial void PublishAbandoned(this ILogger logger, string messageId, int sends);

    [LoggerMessage(EventId = 104, EventName = "PublishChannelReplaced", Level = LogLevel.Debug,
        Message = "The broker closed the publisher's {Purpose} channel ({ReplyCode} {ReplyText}); it was released and another is opened ({Held} held). Publishes it took down that were not the cause are sent again.")]
    public static partial void PublishChannelReplaced(this ILogger logger, string purpose, ushort replyCode, string replyText, int held);

    [LoggerMessage(EventId = 110, EventName = "PublishCancelledUnasked", Level = LogLevel.Warning,
        Message = "The sends of message '{MessageId}' were cancelled after {Sends} send(s) with {Remaining} of its publish timeout left, by neither its caller, the publisher's stop nor its deadline ({Cause}; deadline limit set: {LimitIsDeadline}); it is sent again. This is a RabbitHa defect worth reporting, with this line.")]
    public static partial void PublishCancelledUnasked(this ILogger logger, string messageId, int sends, TimeSpan remaining, string cause, bool limitIsDeadline);

    [LoggerMessage(EventId = 109, EventName = "PublishChannelNackedInARow", Level = LogLevel.Warning,
        Message = "The broker nacked {Nacks} publishes in a row on the publisher's {Purpose} channel; it is closed and another opened (a channel opened while a quorum queue elected its leader can stay bound to the old one), and its publishes in flight are sent again.")]
    public static partial void PublishChannelNackedInARow(this ILogger logger, string purpose, int nacks);

    [LoggerMessage(EventId = 105, EventName = "PublishIsolated", Level = LogLevel.Debug,
        Message = "Message '{MessageId}' was on {Closures} channels the broker closed without naming what it refused; it is sent alone on a channel of its own to find out whether it is the cause.")]
    public static partial void PublishIsolated(this ILogger logger, string messageId, int closures);

    [LoggerMessage(EventId = 106, EventName = "PublisherStopping", Level = LogLevel.Information,
        Message = "Stopping the publisher: {InFlight} publish(es) in flight have up to {StopTimeout} to be confirmed; new ones fail (Stopped).")]
    public static partial void PublisherStopping(this ILogger logger, int inFlight, TimeSpan stopTimeout);

    [LoggerMessage(EventId = 107, EventName = "PublisherStopped", Level = LogLevel.Information,
        Message = "Publisher stopped: every publish in flight was confirmed or failed with its own reason.")]
    public static partial void PublisherStopped(this ILogger logger);

    [LoggerMessage(EventId = 108, EventName = "PublisherStopCutShort", Level = LogLevel.Warning,
        Message = "Publisher stopped with {Unconfirmed} publish(es) not confirmed after {Waited}; they failed (Stopped) and may or may not have reached the broker.")]
    public static partial void PublisherStopCutShort(this ILogger logger, int unconfirmed, TimeSpan waited);
}
