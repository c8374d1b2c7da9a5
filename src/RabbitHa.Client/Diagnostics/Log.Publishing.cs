using Microsoft.Extensions.Logging;

namespace RabbitHa.Client;

/// <summary>The publisher's log messages (event ids 100-199).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 100, EventName = "PublishRetrying", Level = LogLevel.Debug,
        Message = "Sending a message again (send {Send}) in {RetryDelay}: {Cause}; connection {ConnectionState}.")]
    public static partial void PublishRetrying(this ILogger logger, int send, TimeSpan retryDelay, string cause, ConnectionState connectionState);

    [LoggerMessage(EventId = 101, EventName = "PublishFailed", Level = LogLevel.Error,
        Message = "Publishing message '{MessageId}' failed ({Reason}) after {Sends} send(s).")]
    public static partial void PublishFailed(this ILogger logger, PublishFailureReason reason, string messageId, int sends, Exception exception);
}
