using System.Diagnostics;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client;

/// <summary>
/// What happens to each delivery of one consumer: deduplication (when on), the handler, then exactly one of
/// acknowledge, requeue or dead-letter. Shared by the consumer's successive subscriptions, so that failure
/// counts survive a resubscription.
/// </summary>
internal sealed class DeliveryProcessor
{
    /// <summary>How long a copy waits for another copy of the same message that is being handled right now.</summary>
    private static readonly TimeSpan s_inProgressPatience = TimeSpan.FromSeconds(5);

    /// <summary>The longest pause between two looks at a copy in progress.</summary>
    private static readonly TimeSpan s_inProgressPollMax = TimeSpan.FromSeconds(1);

    /// <summary>How long a message waits before it is returned to the queue when the deduplication store failed, so that a store outage does not spin.</summary>
    private static readonly TimeSpan s_storeFailurePause = TimeSpan.FromSeconds(1);

    private readonly RabbitHaConsumerOptions _options;
    private readonly IMessageInvoker _invoker;
    private readonly IRabbitHaDeduplicationStore? _store;
    private readonly ConsumerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly FailureCounter _failures;

    public DeliveryProcessor(
        RabbitHaConsumerOptions options,
        IMessageInvoker invoker,
        IRabbitHaDeduplicationStore? store,
        ConsumerMetrics metrics,
        ILogger logger,
        FailureCounter? failures = null)
    {
        _options = options;
        _invoker = invoker;
        _store = options.DeduplicateByMessageId ? store ?? throw new ArgumentNullException(nameof(store)) : null;
        _metrics = metrics;
        _logger = logger;
        _failures = failures ?? new FailureCounter();
        Name = options.EffectiveName;
    }

    public string Name { get; }

    public async Task ProcessAsync(
        IChannel channel,
        ulong deliveryTag,
        bool redelivered,
        string exchange,
        string routingKey,
        IReadOnlyBasicProperties properties,
        ReadOnlyMemory<byte> body,
        CancellationToken cancellationToken)
    {
        _metrics.Delivered(Name);
        string? messageId = properties.MessageId;
        long? brokerCount = MessageHeaders.GetInt64(properties.Headers, RabbitHaHeaders.DeliveryCount);

        // A classic queue returns a failed message with the redelivered flag set, so only then can this
        // process have counted failures for it; the key (a hash when there is no message id) is not worth
        // computing for every first delivery.
        string? failureKey = null;
        int failuresSeen = 0;
        if (brokerCount is null && redelivered)
        {
            failureKey = DeliveryKey.For(messageId, routingKey, body.Span);
            failuresSeen = _failures.Get(failureKey);
        }

        int attempt = DeliveryAttempts.Current(brokerCount, failuresSeen, redelivered);
        var context = new RabbitHaMessageContext(Name, _options.Queue, exchange, routingKey, redelivered, attempt, properties);

        bool claimed = false;
        if (_store is not null && !string.IsNullOrEmpty(messageId))
        {
            RabbitHaDeduplicationResult? claim = await ClaimAsync(messageId, cancellationToken).ConfigureAwait(false);
            switch (claim)
            {
                case RabbitHaDeduplicationResult.Claimed:
                    claimed = true;
                    break;
                case RabbitHaDeduplicationResult.AlreadyHandled:
                    _metrics.DuplicateDropped(Name);
                    _logger.DuplicateDropped(Name, messageId);
                    await SettleAsync(channel, deliveryTag, ack: true, requeue: false).ConfigureAwait(false);
                    return;
                case RabbitHaDeduplicationResult.InProgress:
                    _logger.DuplicateInProgress(Name, messageId);
                    await SettleAsync(channel, deliveryTag, ack: false, requeue: true).ConfigureAwait(false);
                    return;
                default:
                    // The store failed (logged) or the wait was cancelled: not the message's fault, not counted.
                    await SettleAsync(channel, deliveryTag, ack: false, requeue: true).ConfigureAwait(false);
                    return;
            }
        }

        long started = Stopwatch.GetTimestamp();
        try
        {
            await _invoker.InvokeAsync(body, context, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _metrics.HandlerRan(Name, Stopwatch.GetElapsedTime(started));
            await ReleaseClaimAsync(claimed, messageId).ConfigureAwait(false);
            _logger.HandlerCancelled(Name, messageId);

            // Stopping or the channel closed: the message goes back unchanged (a requeue, or the channel's
            // close does it), and a cancelled attempt is not counted against the message.
            await SettleAsync(channel, deliveryTag, ack: false, requeue: true).ConfigureAwait(false);
            return;
        }
        catch (MessageDeserializationException ex)
        {
            _metrics.HandlerRan(Name, Stopwatch.GetElapsedTime(started));
            _metrics.Failed(Name);
            await ReleaseClaimAsync(claimed, messageId).ConfigureAwait(false);
            await DeadLetterAsync(channel, deliveryTag, messageId, attempt, failureKey, ex.Message).ConfigureAwait(false);
            return;
        }
        // The handler is user code: whatever it throws is logged and decides the message's fate; nothing is hidden.
        catch (Exception ex)
        {
            _metrics.HandlerRan(Name, Stopwatch.GetElapsedTime(started));
            _metrics.Failed(Name);
            await ReleaseClaimAsync(claimed, messageId).ConfigureAwait(false);
            FailureDisposition disposition = DeliveryAttempts.Decide(attempt, _options.MaxDeliveryAttempts, _options.FailureAction, retriable: true);
            _logger.HandlerFailed(Name, messageId, attempt, _options.MaxDeliveryAttempts, disposition, ex);
            if (disposition == FailureDisposition.Requeue)
            {
                if (brokerCount is null)
                {
                    _failures.Increment(failureKey ?? DeliveryKey.For(messageId, routingKey, body.Span));
                }

                await PauseBeforeRequeueAsync(cancellationToken).ConfigureAwait(false);

                await SettleAsync(channel, deliveryTag, ack: false, requeue: true).ConfigureAwait(false);
            }
            else
            {
                string cause = _options.FailureAction == RabbitHaFailureAction.DeadLetter
                    ? $"the handler threw {ex.GetType().Name} and FailureAction is DeadLetter."
                    : $"the handler threw {ex.GetType().Name} on the last of {_options.MaxDeliveryAttempts} attempt(s).";
                await DeadLetterAsync(channel, deliveryTag, messageId, attempt, failureKey, cause).ConfigureAwait(false);
            }

            return;
        }

        _metrics.HandlerRan(Name, Stopwatch.GetElapsedTime(started));
        if (claimed)
        {
            // Recorded before the acknowledgement: if the channel dies before the broker has it, the
            // redelivered copy is then dropped instead of handled twice.
            await StoreAsync(messageId!, "mark as handled", static (store, scope, id) => store.MarkHandledAsync(scope, id, CancellationToken.None))
                .ConfigureAwait(false);
        }

        if (failureKey is not null)
        {
            _failures.Forget(failureKey);
        }

        _metrics.Handled(Name);
        await SettleAsync(channel, deliveryTag, ack: true, requeue: false).ConfigureAwait(false);
    }

    /// <summary>Waits <see cref="RabbitHaConsumerOptions.RequeueDelay"/>; stopping or a lost channel ends the wait early.</summary>
    private async Task PauseBeforeRequeueAsync(CancellationToken cancellationToken)
    {
        if (_options.RequeueDelay <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await Task.Delay(_options.RequeueDelay, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Requeue now: the consumer is stopping or its channel is gone (then the broker has requeued it already).
        }
    }

    private async Task DeadLetterAsync(IChannel channel, ulong deliveryTag, string? messageId, int attempt, string? failureKey, string cause)
    {
        if (failureKey is not null)
        {
            _failures.Forget(failureKey);
        }

        _metrics.DeadLettered(Name);
        _logger.MessageDeadLettered(Name, messageId, _options.Queue, attempt, cause);
        await SettleAsync(channel, deliveryTag, ack: false, requeue: false).ConfigureAwait(false);
    }

    /// <summary>Claims the message, waiting a little while another copy of it is being handled.</summary>
    /// <returns>The store's answer, or <see langword="null"/> when the store failed or the wait was cancelled.</returns>
    private async Task<RabbitHaDeduplicationResult?> ClaimAsync(string messageId, CancellationToken cancellationToken)
    {
        TimeSpan pause = TimeSpan.FromMilliseconds(50);
        long started = Stopwatch.GetTimestamp();
        try
        {
            while (true)
            {
                RabbitHaDeduplicationResult result = await _store!.TryClaimAsync(_options.Queue, messageId, cancellationToken).ConfigureAwait(false);
                if (result != RabbitHaDeduplicationResult.InProgress || Stopwatch.GetElapsedTime(started) >= s_inProgressPatience)
                {
                    return result;
                }

                // The other copy may yet fail (then this one must be handled) or succeed (then it is dropped):
                // acknowledging it now could lose the message, requeueing it at once would spin.
                await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, s_inProgressPollMax.Ticks));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        // A pluggable store (a database, a cache) may fail in any way; logged as an error, and the message goes back to the queue.
        catch (Exception ex)
        {
            _logger.DeduplicationStoreFailed(Name, "claim", messageId, ex);
            try
            {
                await Task.Delay(s_storeFailurePause, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Stopping: return the message now.
            }

            return null;
        }
    }

    private Task ReleaseClaimAsync(bool claimed, string? messageId) =>
        claimed
            ? StoreAsync(messageId!, "release", static (store, scope, id) => store.ReleaseAsync(scope, id, CancellationToken.None))
            : Task.CompletedTask;

    private async Task StoreAsync(string messageId, string operation, Func<IRabbitHaDeduplicationStore, string, string, ValueTask> call)
    {
        try
        {
            await call(_store!, _options.Queue, messageId).ConfigureAwait(false);
        }
        // As in ClaimAsync: the store's failure is logged as an error; the message's own outcome stands.
        catch (Exception ex)
        {
            _logger.DeduplicationStoreFailed(Name, operation, messageId, ex);
        }
    }

    /// <summary>Acknowledges or rejects a delivery. On a channel that has closed meanwhile this cannot be done, and need not be: the broker requeues the message.</summary>
    private async Task SettleAsync(IChannel channel, ulong deliveryTag, bool ack, bool requeue)
    {
        try
        {
            if (ack)
            {
                await channel.BasicAckAsync(deliveryTag, multiple: false, CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await channel.BasicNackAsync(deliveryTag, multiple: false, requeue, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationInterruptedException or ObjectDisposedException or IOException)
        {
            _logger.SettleFailed(Name, ack ? "acknowledge" : requeue ? "requeue" : "dead-letter", deliveryTag, ex);
        }
    }
}
