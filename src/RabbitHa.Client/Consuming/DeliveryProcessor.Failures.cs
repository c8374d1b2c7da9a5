using System.Diagnostics;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitMQ.Client;

namespace RabbitHa.Client.Internal.Consuming;

/// <summary>
/// A failed delivery: tried again, or given up on as <see cref="RabbitHaConsumerOptions.DeadLetterStrategy"/> says.
/// No message leaves the system unless the options say so: whatever is published instead of the original (a copy
/// with its attempt count, a dead-letter copy) is confirmed before the original is acknowledged, and when it cannot
/// be, the original goes back to its queue.
/// </summary>
internal sealed partial class DeliveryProcessor
{
    private async Task SettleFailureAsync(FailedDelivery failed, CancellationToken cancellationToken)
    {
        // A body that cannot be read now never can: not worth another attempt.
        bool retriable = failed.Reason != DeadLetterReason.DeserializationFailed;
        FailureDisposition disposition = DeliveryAttempts.Decide(failed.Attempt, _options.MaxDeliveryAttempts, _options.FailureAction, retriable);
        if (retriable)
        {
            _logger.HandlerFailed(Name, failed.MessageId, failed.Attempt, _options.MaxDeliveryAttempts, disposition.ToString(), failed.Exception);
        }

        if (disposition == FailureDisposition.Requeue)
        {
            await RetryAsync(failed, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await GiveUpAsync(failed, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// After <see cref="RabbitHaConsumerOptions.RequeueDelay"/>: where the broker counts deliveries, a plain requeue;
    /// otherwise a copy carrying the count goes to the back of the queue, and the original is acknowledged once the copy
    /// is confirmed. Counting in the message, not in this process, keeps the count across consumer processes and for
    /// any number of failing messages.
    /// </summary>
    private async Task RetryAsync(FailedDelivery failed, CancellationToken cancellationToken)
    {
        bool waited = await PauseAsync(cancellationToken).ConfigureAwait(false);
        if (!waited || failed.BrokerCounted || _queueCountsDeliveries)
        {
            // Stopping or the channel is gone (then the broker has requeued it already), or the broker counts this return.
            RabbitHaTracing.Requeued(failed.Activity, failed.Attempt, waited ? failed.Reason.ToHeaderValue() : "cancelled", RequeueByBroker);
            await SettleAsync(failed.Channel, failed.DeliveryTag, ack: false, requeue: true).ConfigureAwait(false);
            return;
        }

        // The copy keeps every header of the delivery, its trace context (traceparent) included: its next delivery is
        // processed under the same publish, and the publisher does not give it another.
        RabbitHaOutgoingMessage copy = MessageCopies.ForRetry(_options.Queue, failed.Attempt, failed.Exchange, failed.RoutingKey, failed.Properties, failed.Body);
        Exception? publishFailure = await PublishCopyAsync(copy, failed.MessageId, cancellationToken).ConfigureAwait(false);
        if (publishFailure is null)
        {
            _logger.MessageRetried(Name, failed.MessageId, _options.Queue, failed.Attempt);
            RabbitHaTracing.Requeued(failed.Activity, failed.Attempt, failed.Reason.ToHeaderValue(), RequeueByCopy);
            await SettleAsync(failed.Channel, failed.DeliveryTag, ack: true, requeue: false).ConfigureAwait(false);
            return;
        }

        if (publishFailure is not OperationCanceledException)
        {
            _logger.RetryPublishFailed(Name, failed.MessageId, _options.Queue, publishFailure);
        }

        RabbitHaTracing.Requeued(failed.Activity, failed.Attempt, failed.Reason.ToHeaderValue(), RequeueByBroker);

        // Only this attempt's count is lost: the redelivered flag still makes the next delivery at least the second attempt.
        await SettleAsync(failed.Channel, failed.DeliveryTag, ack: false, requeue: true).ConfigureAwait(false);
    }

    private async Task GiveUpAsync(FailedDelivery failed, CancellationToken cancellationToken)
    {
        string reason = failed.Reason.ToHeaderValue();
        string cause = DescribeCause(failed);
        switch (_options.DeadLetterStrategy)
        {
            case RabbitHaDeadLetterStrategy.Discard:
                _metrics.Discarded(Name);
                _logger.MessageDiscarded(Name, failed.MessageId, _options.Queue, failed.Attempt, reason, cause);
                RabbitHaTracing.Discarded(failed.Activity, reason);
                await SettleAsync(failed.Channel, failed.DeliveryTag, ack: true, requeue: false).ConfigureAwait(false);
                return;
            case RabbitHaDeadLetterStrategy.Broker:
                _metrics.DeadLettered(Name);
                _logger.MessageDeadLettered(Name, failed.MessageId, _options.Queue, "the queue's dead-letter exchange (rejected without requeue)", failed.Attempt, reason, cause);
                RabbitHaTracing.DeadLettered(failed.Activity, reason, "broker");
                await SettleAsync(failed.Channel, failed.DeliveryTag, ack: false, requeue: false).ConfigureAwait(false);
                return;
        }

        RabbitHaOutgoingMessage copy = MessageCopies.ForDeadLetter(_deadLetterQueue.Name, failed.Reason, failed.Exception, failed.Attempt, Name, _options.Queue,
            failed.Exchange, failed.RoutingKey, _timeProvider.GetUtcNow(), failed.Properties, failed.Body);
        Exception? publishFailure = await PublishCopyAsync(copy, failed.MessageId, cancellationToken).ConfigureAwait(false);
        if (publishFailure is null)
        {
            _metrics.DeadLettered(Name);
            _logger.MessageDeadLettered(Name, failed.MessageId, _options.Queue, $"dead-letter queue '{_deadLetterQueue.Name}'", failed.Attempt, reason, cause);
            RabbitHaTracing.DeadLettered(failed.Activity, reason, _deadLetterQueue.Name);
            await SettleAsync(failed.Channel, failed.DeliveryTag, ack: true, requeue: false).ConfigureAwait(false);
            return;
        }

        if (publishFailure is not OperationCanceledException)
        {
            _metrics.DeadLetterPublishFailed(Name);
            _logger.DeadLetterPublishFailed(Name, failed.MessageId, _deadLetterQueue.Name, _options.Queue, publishFailure);
            if (publishFailure is RabbitHaPublishException { Reason: RabbitHaPublishFailureReason.Unroutable })
            {
                // No queue took the copy: the dead-letter queue was deleted, or never could be declared.
                await RedeclareDeadLetterQueueAsync(cancellationToken).ConfigureAwait(false);
            }

            await PauseAsync(cancellationToken).ConfigureAwait(false);
        }

        RabbitHaTracing.Requeued(failed.Activity, failed.Attempt, publishFailure is OperationCanceledException ? "cancelled" : "dead-letter-publish-failed", RequeueByBroker);
        await SettleAsync(failed.Channel, failed.DeliveryTag, ack: false, requeue: true).ConfigureAwait(false);
    }

    /// <summary>Publishes a copy and waits for its confirm.</summary>
    /// <returns><see langword="null"/> once confirmed; otherwise why not.</returns>
    private async Task<Exception?> PublishCopyAsync(RabbitHaOutgoingMessage copy, string? messageId, CancellationToken cancellationToken)
    {
        try
        {
            await _publisher.PublishAsync(copy, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
        {
            // The copy may still arrive: then the original, requeued, makes a duplicate, which at-least-once allows.
            _logger.RepublishCancelled(Name, messageId);
            return ex;
        }
        // The publisher is pluggable (RabbitHaConsumer.Create takes any IRabbitHaPublisher) and ours fails in several ways
        // (unroutable, nacked, rejected, timed out, disposed). Whatever it throws, the caller logs it and returns the
        // original to its queue, which is the one outcome that loses nothing.
        catch (Exception ex)
        {
            return ex;
        }
    }

    private async Task RedeclareDeadLetterQueueAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Whatever the answer, the message goes back to its queue: the declaration logged it.
            _ = await _deadLetterQueue.DeclareAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping, or the channel closed: the message goes back to its queue all the same.
        }
        catch (ObjectDisposedException)
        {
            // The application closed the connection: consuming is over, and the broker requeues the message.
        }
    }

    /// <summary>Waits <see cref="RabbitHaConsumerOptions.RequeueDelay"/>; stopping or a lost channel ends the wait early.</summary>
    /// <returns><see langword="false"/> when the wait was cut short.</returns>
    private async Task<bool> PauseAsync(CancellationToken cancellationToken)
    {
        if (_options.RequeueDelay <= TimeSpan.Zero)
        {
            return !cancellationToken.IsCancellationRequested;
        }

        try
        {
            await Task.Delay(_options.RequeueDelay, _timeProvider, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private string DescribeCause(FailedDelivery failed) => failed.Reason switch
    {
        DeadLetterReason.DeserializationFailed => failed.Exception.Message,
        _ when _options.FailureAction == RabbitHaFailureAction.DeadLetter =>
            $"{failed.Exception.GetType().Name}: {failed.Exception.Message} (FailureAction is DeadLetter).",
        _ => $"{failed.Exception.GetType().Name} on the last of {_options.MaxDeliveryAttempts} attempt(s): {failed.Exception.Message}",
    };

    /// <summary>What the failure path needs to know about the delivery; the exchange and routing key are the ones it was first published with.</summary>
    private readonly record struct FailedDelivery(
        IChannel Channel,
        ulong DeliveryTag,
        int Attempt,
        bool BrokerCounted,
        string Exchange,
        string RoutingKey,
        IReadOnlyBasicProperties Properties,
        ReadOnlyMemory<byte> Body,
        DeadLetterReason Reason,
        Exception Exception,
        Activity? Activity)
    {
        public string? MessageId => Properties.MessageId;
    }
}
