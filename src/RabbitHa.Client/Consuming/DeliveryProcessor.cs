using System.Diagnostics;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client;

/// <summary>
/// What happens to each delivery of one consumer: deduplication (when on), the handler, then exactly one of
/// acknowledge, try again or dead-letter (see DeliveryProcessor.Failures.cs). Shared by the consumer's successive
/// subscriptions. It keeps no count of failures itself: the count travels with the message.
/// </summary>
internal sealed partial class DeliveryProcessor
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
    private readonly IRabbitHaPublisher _publisher;
    private readonly DeadLetterQueue _deadLetterQueue;
    private readonly ConsumerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private volatile bool _queueCountsDeliveries;

    /// <param name="options">The consumer's validated options.</param>
    /// <param name="invoker">Calls the handler.</param>
    /// <param name="store">The deduplication store; required when <see cref="RabbitHaConsumerOptions.DeduplicateByMessageId"/> is on.</param>
    /// <param name="publisher">Publishes the copies sent back to the queue or to the dead-letter queue: on the publishing connection, never the consumer's.</param>
    /// <param name="deadLetterQueue">The dead-letter queue, re-declared when a copy finds none.</param>
    /// <param name="queueType">The consumer's queue as the topology declares it: a quorum queue counts deliveries itself.</param>
    /// <param name="metrics">The consumers' instruments.</param>
    /// <param name="logger">The consumer's logger.</param>
    /// <param name="timeProvider">The clock of <see cref="RabbitHaConsumerOptions.RequeueDelay"/> and of <see cref="RabbitHaHeaders.DeadLetteredAt"/>.</param>
    public DeliveryProcessor(
        RabbitHaConsumerOptions options,
        IMessageInvoker invoker,
        IRabbitHaDeduplicationStore? store,
        IRabbitHaPublisher publisher,
        DeadLetterQueue deadLetterQueue,
        QueueType queueType,
        ConsumerMetrics metrics,
        ILogger logger,
        TimeProvider? timeProvider = null)
    {
        _options = options;
        _invoker = invoker;
        _store = options.DeduplicateByMessageId ? store ?? throw new ArgumentNullException(nameof(store)) : null;
        _publisher = publisher;
        _deadLetterQueue = deadLetterQueue;
        _queueCountsDeliveries = queueType == QueueType.Quorum;
        _metrics = metrics;
        _logger = logger;
        _timeProvider = timeProvider ?? TimeProvider.System;
        Name = options.EffectiveName;
    }

    public string Name { get; }

    /// <summary>
    /// Learns that the queue counts deliveries itself although the topology did not say so (the broker refused
    /// <c>x-cancel-on-ha-failover</c>, which only classic queues take): from now on a failed message is returned
    /// to the queue rather than published again, even on a first delivery that carries no count yet.
    /// </summary>
    public void QueueCountsDeliveries() => _queueCountsDeliveries = true;

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
        IDictionary<string, object?>? headers = properties.Headers;
        long? brokerCount = MessageHeaders.GetInt64(headers, RabbitHaHeaders.DeliveryCount);
        long? failedBefore = MessageHeaders.GetInt64(headers, RabbitHaHeaders.ConsumerDeliveryCount);
        int attempt = DeliveryAttempts.Current(brokerCount, failedBefore, redelivered);

        // A copy sent back for another attempt arrives through the default exchange: the handler sees where it was first published.
        string originalExchange = MessageHeaders.GetString(headers, RabbitHaHeaders.OriginalExchange) ?? exchange;
        string originalRoutingKey = MessageHeaders.GetString(headers, RabbitHaHeaders.OriginalRoutingKey) ?? routingKey;
        var context = new RabbitHaMessageContext(Name, _options.Queue, originalExchange, originalRoutingKey, redelivered, attempt, properties);

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
        DeadLetterReason reason = DeadLetterReason.HandlerFailed;
        Exception? failure = null;
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
            (reason, failure) = (DeadLetterReason.DeserializationFailed, ex);
        }
        catch (MessageHandlerUnavailableException ex)
        {
            (reason, failure) = (DeadLetterReason.HandlerUnavailable, ex);
        }
        // The handler is user code: whatever it throws is logged and decides the message's fate; nothing is hidden.
        catch (Exception ex)
        {
            failure = ex;
        }

        _metrics.HandlerRan(Name, Stopwatch.GetElapsedTime(started));
        if (failure is not null)
        {
            _metrics.Failed(Name);
            await ReleaseClaimAsync(claimed, messageId).ConfigureAwait(false);
            var failed = new FailedDelivery(channel, deliveryTag, attempt, brokerCount is not null, originalExchange, originalRoutingKey, properties, body, reason, failure);
            await SettleFailureAsync(failed, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (claimed)
        {
            // Recorded before the acknowledgement: if the channel dies before the broker has it, the
            // redelivered copy is then dropped instead of handled twice.
            await StoreAsync(messageId!, "mark as handled", static (store, scope, id) => store.MarkHandledAsync(scope, id, CancellationToken.None))
                .ConfigureAwait(false);
        }

        _metrics.Handled(Name);
        await SettleAsync(channel, deliveryTag, ack: true, requeue: false).ConfigureAwait(false);
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
