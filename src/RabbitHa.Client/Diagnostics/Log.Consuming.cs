using Microsoft.Extensions.Logging;

namespace RabbitHa.Client.Internal.Diagnostics;

/// <summary>The consumers' log messages (event ids 200-299).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 200, EventName = "ConsumerStarting", Level = LogLevel.Information,
        Message = "Consumer '{ConsumerName}' starting on queue '{Queue}' (prefetch {PrefetchCount}, concurrency {Concurrency}, deduplication {Deduplication}).")]
    public static partial void ConsumerStarting(this ILogger logger, string consumerName, string queue, int prefetchCount, int concurrency, bool deduplication);

    [LoggerMessage(EventId = 201, EventName = "ConsumerSubscribed", Level = LogLevel.Information,
        Message = "Consumer '{ConsumerName}' subscribed to queue '{Queue}' on connection '{ConnectionName}' ({Endpoint}) as '{ConsumerTag}'.")]
    public static partial void ConsumerSubscribed(this ILogger logger, string consumerName, string queue, string connectionName, RabbitMQ.Client.AmqpTcpEndpoint? endpoint, string consumerTag);

    [LoggerMessage(EventId = 202, EventName = "SubscriptionEnded", Level = LogLevel.Warning,
        Message = "The subscription of consumer '{ConsumerName}' to queue '{Queue}' ended after {Lasted}: {Reason} ({Detail}).")]
    public static partial void SubscriptionEnded(this ILogger logger, string consumerName, string queue, TimeSpan lasted, string reason, string detail);

    [LoggerMessage(EventId = 203, EventName = "SubscribeFailed", Level = LogLevel.Warning,
        Message = "Consumer '{ConsumerName}' could not subscribe to queue '{Queue}': {Detail}")]
    public static partial void SubscribeFailed(this ILogger logger, string consumerName, string queue, string detail);

    [LoggerMessage(EventId = 204, EventName = "Resubscribing", Level = LogLevel.Information,
        Message = "Consumer '{ConsumerName}' resubscribes to queue '{Queue}' in {Delay} (attempt {Attempt}).")]
    public static partial void Resubscribing(this ILogger logger, string consumerName, string queue, TimeSpan delay, int attempt);

    [LoggerMessage(EventId = 205, EventName = "HandlerFailed", Level = LogLevel.Warning,
        Message = "The handler of consumer '{ConsumerName}' failed on message '{MessageId}' (attempt {Attempt} of {MaxAttempts}); the message is {Disposition}.")]
    public static partial void HandlerFailed(this ILogger logger, string consumerName, string? messageId, int attempt, int maxAttempts, string disposition, Exception exception);

    [LoggerMessage(EventId = 206, EventName = "MessageDeadLettered", Level = LogLevel.Warning,
        Message = "Consumer '{ConsumerName}' dead-lettered message '{MessageId}' from queue '{Queue}' to {Destination} after {Attempts} attempt(s) ({Reason}): {Cause}")]
    public static partial void MessageDeadLettered(this ILogger logger, string consumerName, string? messageId, string queue, string destination, int attempts, string reason, string cause);

    [LoggerMessage(EventId = 207, EventName = "DuplicateDropped", Level = LogLevel.Debug,
        Message = "Consumer '{ConsumerName}' dropped message '{MessageId}': it has already been handled.")]
    public static partial void DuplicateDropped(this ILogger logger, string consumerName, string messageId);

    [LoggerMessage(EventId = 208, EventName = "DuplicateInProgress", Level = LogLevel.Debug,
        Message = "Consumer '{ConsumerName}' returned message '{MessageId}' to the queue: another copy is still being handled.")]
    public static partial void DuplicateInProgress(this ILogger logger, string consumerName, string messageId);

    [LoggerMessage(EventId = 209, EventName = "SettleFailed", Level = LogLevel.Debug,
        Message = "Consumer '{ConsumerName}' could not {Action} delivery {DeliveryTag} because its channel has closed; the broker delivers the message again.")]
    public static partial void SettleFailed(this ILogger logger, string consumerName, string action, ulong deliveryTag, Exception exception);

    [LoggerMessage(EventId = 210, EventName = "ConsumerStopping", Level = LogLevel.Information,
        Message = "Consumer '{ConsumerName}' stopping: no new deliveries, waiting up to {StopTimeout} for {InFlight} running handler(s).")]
    public static partial void ConsumerStopping(this ILogger logger, string consumerName, TimeSpan stopTimeout, int inFlight);

    [LoggerMessage(EventId = 211, EventName = "ConsumerStopped", Level = LogLevel.Information,
        Message = "Consumer '{ConsumerName}' stopped.")]
    public static partial void ConsumerStopped(this ILogger logger, string consumerName);

    [LoggerMessage(EventId = 212, EventName = "HandlersStillRunning", Level = LogLevel.Warning,
        Message = "Consumer '{ConsumerName}': {InFlight} handler(s) still running after {Waited}; cancelling them and closing the channel, the broker requeues their messages.")]
    public static partial void HandlersStillRunning(this ILogger logger, string consumerName, int inFlight, TimeSpan waited);

    [LoggerMessage(EventId = 213, EventName = "DeduplicationStoreFailed", Level = LogLevel.Error,
        Message = "Consumer '{ConsumerName}': the deduplication store failed to {Operation} message '{MessageId}'.")]
    public static partial void DeduplicationStoreFailed(this ILogger logger, string consumerName, string operation, string messageId, Exception exception);

    [LoggerMessage(EventId = 214, EventName = "SubscribeFailedUnexpectedly", Level = LogLevel.Error,
        Message = "Consumer '{ConsumerName}' failed unexpectedly while subscribing to queue '{Queue}'; it keeps retrying.")]
    public static partial void SubscribeFailedUnexpectedly(this ILogger logger, string consumerName, string queue, Exception exception);

    [LoggerMessage(EventId = 215, EventName = "ConsumerConnectionClosed", Level = LogLevel.Warning,
        Message = "Consumer '{ConsumerName}' stops resubscribing: its connection has been closed by the application.")]
    public static partial void ConsumerConnectionClosed(this ILogger logger, string consumerName);

    [LoggerMessage(EventId = 216, EventName = "ChannelCloseSlow", Level = LogLevel.Debug,
        Message = "Closing the channel of consumer '{ConsumerName}' did not finish within {Timeout}; it goes on in the background.")]
    public static partial void ChannelCloseSlow(this ILogger logger, string consumerName, TimeSpan timeout);

    [LoggerMessage(EventId = 217, EventName = "HandlerCancelled", Level = LogLevel.Debug,
        Message = "The handler of consumer '{ConsumerName}' was cancelled on message '{MessageId}'; it is left to the broker to deliver again.")]
    public static partial void HandlerCancelled(this ILogger logger, string consumerName, string? messageId);

    [LoggerMessage(EventId = 218, EventName = "ChannelCloseFailed", Level = LogLevel.Debug,
        Message = "Closing the channel of consumer '{ConsumerName}' failed.")]
    public static partial void ChannelCloseFailed(this ILogger logger, string consumerName, Exception exception);

    [LoggerMessage(EventId = 219, EventName = "CancelOnHaFailoverRefused", Level = LogLevel.Information,
        Message = "Queue '{Queue}' of consumer '{ConsumerName}' refuses x-cancel-on-ha-failover (it is not a classic queue); consuming without it.")]
    public static partial void CancelOnHaFailoverRefused(this ILogger logger, string consumerName, string queue);

    [LoggerMessage(EventId = 220, EventName = "MessageDiscarded", Level = LogLevel.Warning,
        Message = "Consumer '{ConsumerName}' discarded message '{MessageId}' from queue '{Queue}' after {Attempts} attempt(s) ({Reason}), as DeadLetterStrategy Discard says: {Cause}")]
    public static partial void MessageDiscarded(this ILogger logger, string consumerName, string? messageId, string queue, int attempts, string reason, string cause);

    [LoggerMessage(EventId = 221, EventName = "DeadLetterPublishFailed", Level = LogLevel.Warning,
        Message = "Consumer '{ConsumerName}' could not copy message '{MessageId}' to dead-letter queue '{DeadLetterQueue}'; it goes back to queue '{Queue}' and is dead-lettered again on its next delivery.")]
    public static partial void DeadLetterPublishFailed(this ILogger logger, string consumerName, string? messageId, string deadLetterQueue, string queue, Exception exception);

    [LoggerMessage(EventId = 222, EventName = "RetryPublishFailed", Level = LogLevel.Warning,
        Message = "Consumer '{ConsumerName}' could not send message '{MessageId}' back to queue '{Queue}' with its attempt count; it is returned to the queue instead.")]
    public static partial void RetryPublishFailed(this ILogger logger, string consumerName, string? messageId, string queue, Exception exception);

    [LoggerMessage(EventId = 223, EventName = "RepublishCancelled", Level = LogLevel.Debug,
        Message = "Consumer '{ConsumerName}' stopped waiting for the copy of message '{MessageId}' (stopping, or its channel closed); the message is left to the broker to deliver again.")]
    public static partial void RepublishCancelled(this ILogger logger, string consumerName, string? messageId);

    [LoggerMessage(EventId = 224, EventName = "DeadLetterQueueDeclared", Level = LogLevel.Information,
        Message = "Consumer '{ConsumerName}' declared its dead-letter queue '{DeadLetterQueue}' ({QueueType}).")]
    public static partial void DeadLetterQueueDeclared(this ILogger logger, string consumerName, string deadLetterQueue, string queueType);

    [LoggerMessage(EventId = 225, EventName = "DeadLetterQueueDeclareFailed", Level = LogLevel.Error,
        Message = "Consumer '{ConsumerName}' could not declare its dead-letter queue '{DeadLetterQueue}': {BrokerReason}. It goes on consuming; messages to dead-letter stay in queue '{Queue}' until the dead-letter queue exists.")]
    public static partial void DeadLetterQueueDeclareFailed(this ILogger logger, string consumerName, string deadLetterQueue, string queue, string brokerReason, Exception exception);

    [LoggerMessage(EventId = 226, EventName = "MessageRetried", Level = LogLevel.Debug,
        Message = "Consumer '{ConsumerName}' sent message '{MessageId}' back to queue '{Queue}' after {FailedAttempts} failed attempt(s).")]
    public static partial void MessageRetried(this ILogger logger, string consumerName, string? messageId, string queue, int failedAttempts);

    [LoggerMessage(EventId = 227, EventName = "DeadLetterQueueDeclareInterrupted", Level = LogLevel.Warning,
        Message = "Consumer '{ConsumerName}' could not declare its dead-letter queue '{DeadLetterQueue}' because the connection failed ({Detail}); it tries again.")]
    public static partial void DeadLetterQueueDeclareInterrupted(this ILogger logger, string consumerName, string deadLetterQueue, string detail);

    [LoggerMessage(EventId = 228, EventName = "HandlerHung", Level = LogLevel.Warning,
        Message = "The handler of consumer '{ConsumerName}' on message '{MessageId}' (delivery {DeliveryTag}) has run for {Running} and ignores its cancellation. " +
                  "The consumer no longer waits for it, and its message {Outcome}; it keeps one of the consumer's {Concurrency} handler slots until it returns ({FreeSlots} free now).")]
    public static partial void HandlerHung(this ILogger logger, string consumerName, string? messageId, ulong deliveryTag, TimeSpan running, int concurrency, int freeSlots, string outcome);

    [LoggerMessage(EventId = 229, EventName = "HandlerStillHung", Level = LogLevel.Warning,
        Message = "The hung handler of consumer '{ConsumerName}' on message '{MessageId}' still runs after {Running}, holding one of the consumer's {Concurrency} handler slots ({FreeSlots} free now).")]
    public static partial void HandlerStillHung(this ILogger logger, string consumerName, string? messageId, TimeSpan running, int concurrency, int freeSlots);

    [LoggerMessage(EventId = 230, EventName = "HungHandlerReturned", Level = LogLevel.Information,
        Message = "The hung handler of consumer '{ConsumerName}' on message '{MessageId}' returned after {Running}; its slot is free again. What it did is not acknowledged: its message was settled when it was abandoned.")]
    public static partial void HungHandlerReturned(this ILogger logger, string consumerName, string? messageId, TimeSpan running, Exception? exception);

    [LoggerMessage(EventId = 231, EventName = "RunningCopyReturned", Level = LogLevel.Debug,
        Message = "Consumer '{ConsumerName}' returned message '{MessageId}' to the queue unhandled: a handler of another copy of it still runs in this process.")]
    public static partial void RunningCopyReturned(this ILogger logger, string consumerName, string? messageId);

    [LoggerMessage(EventId = 232, EventName = "SettleSkipped", Level = LogLevel.Debug,
        Message = "Consumer '{ConsumerName}' did not {Action} delivery {DeliveryTag}: the channel it came on has closed since; the broker delivers the message again.")]
    public static partial void SettleSkipped(this ILogger logger, string consumerName, string action, ulong deliveryTag);

    [LoggerMessage(EventId = 233, EventName = "CancellationCallbackFailed", Level = LogLevel.Warning,
        Message = "Consumer '{ConsumerName}': a callback registered on a handler's cancellation token threw when the token was cancelled.")]
    public static partial void CancellationCallbackFailed(this ILogger logger, string consumerName, Exception exception);

    [LoggerMessage(EventId = 234, EventName = "SupervisorStepFailed", Level = LogLevel.Error,
        Message = "Consumer '{ConsumerName}' failed unexpectedly while {Step}; it keeps itself subscribed all the same.")]
    public static partial void SupervisorStepFailed(this ILogger logger, string consumerName, string step, Exception exception);

    [LoggerMessage(EventId = 235, EventName = "DeliveryProcessingFailed", Level = LogLevel.Error,
        Message = "Consumer '{ConsumerName}' failed unexpectedly while processing delivery {DeliveryTag} (message '{MessageId}'); the message returns to the queue when the channel closes.")]
    public static partial void DeliveryProcessingFailed(this ILogger logger, string consumerName, ulong deliveryTag, string? messageId, Exception exception);

    [LoggerMessage(EventId = 236, EventName = "HungHandlersAtStop", Level = LogLevel.Warning,
        Message = "Consumer '{ConsumerName}' stopped with {Hung} hung handler(s) still running; they ignore their cancellation, and only the process's end stops them.")]
    public static partial void HungHandlersAtStop(this ILogger logger, string consumerName, int hung);

    [LoggerMessage(EventId = 237, EventName = "LateClaimReleased", Level = LogLevel.Debug,
        Message = "Consumer '{ConsumerName}': the deduplication store granted the claim of message '{MessageId}' after the consumer had stopped waiting; released.")]
    public static partial void LateClaimReleased(this ILogger logger, string consumerName, string messageId);
}
