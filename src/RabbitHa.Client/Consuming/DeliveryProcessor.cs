using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Internal.Consuming;

/// <summary>
/// What happens to each delivery of one consumer: deduplication (when on, DeliveryProcessor.Deduplication.cs), the
/// handler (DeliveryProcessor.Handler.cs), then exactly one of acknowledge, try again or dead-letter
/// (DeliveryProcessor.Failures.cs). Shared by the consumer's successive subscriptions. It keeps no count of failures
/// itself: the count travels with the message.
/// </summary>
internal sealed partial class DeliveryProcessor
{
    /// <summary>The <c>rabbitha.delivery.requeue.method</c> of a message returned to its queue by a nack (the broker requeues it).</summary>
    private const string RequeueByBroker = "requeue";

    /// <summary>The <c>rabbitha.delivery.requeue.method</c> of a message sent back as a copy carrying its count, the original acknowledged.</summary>
    private const string RequeueByCopy = "copy";

    private static readonly object s_retired = new();

    private readonly RabbitHaConsumerOptions _options;
    private readonly IMessageInvoker _invoker;
    private readonly IRabbitHaDeduplicationStore? _store;
    private readonly IRabbitHaPublisher _publisher;
    private readonly DeadLetterQueue _deadLetterQueue;
    private readonly ConsumerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly ConditionalWeakTable<IChannel, object> _retiredChannels = new();
    private volatile bool _queueCountsDeliveries;

    /// <param name="options">The consumer's validated options.</param>
    /// <param name="invoker">Calls the handler.</param>
    /// <param name="store">The deduplication store; required when <see cref="RabbitHaConsumerOptions.DeduplicateByMessageId"/> is on.</param>
    /// <param name="publisher">Publishes the copies sent back to the queue or to the dead-letter queue: on the publishing connection, never the consumer's.</param>
    /// <param name="deadLetterQueue">The dead-letter queue, re-declared when a copy finds none.</param>
    /// <param name="queueType">The consumer's queue as the topology declares it: a quorum queue counts deliveries itself.</param>
    /// <param name="metrics">The consumers' instruments.</param>
    /// <param name="logger">The consumer's logger.</param>
    /// <param name="timeProvider">The clock of the timeouts, of <see cref="RabbitHaConsumerOptions.RequeueDelay"/> and of <see cref="RabbitHaHeaders.DeadLetteredAt"/>.</param>
    public DeliveryProcessor(
        RabbitHaConsumerOptions options,
        IMessageInvoker invoker,
        IRabbitHaDeduplicationStore? store,
        IRabbitHaPublisher publisher,
        DeadLetterQueue deadLetterQueue,
        RabbitHaQueueType queueType,
        ConsumerMetrics metrics,
        ILogger logger,
        TimeProvider? timeProvider = null)
    {
        _options = options;
        _invoker = invoker;
        _store = options.DeduplicateByMessageId ? store ?? throw new ArgumentNullException(nameof(store)) : null;
        _publisher = publisher;
        _deadLetterQueue = deadLetterQueue;
        _queueCountsDeliveries = queueType == RabbitHaQueueType.Quorum;
        _metrics = metrics;
        _logger = logger;
        _timeProvider = timeProvider ?? TimeProvider.System;
        Name = options.EffectiveName;
        Slots = new HandlerSlots(options.Concurrency);
    }

    public string Name { get; }

    /// <summary>Gets the consumer's handler slots, shared by its successive subscriptions: <see cref="RabbitHaConsumerOptions.Concurrency"/> holds across them.</summary>
    public HandlerSlots Slots { get; }

    /// <summary>
    /// Learns that the queue counts deliveries itself although the topology did not say so (the broker refused
    /// <c>x-cancel-on-ha-failover</c>, which only classic queues take): from now on a failed message is returned
    /// to the queue rather than published again, even on a first delivery that carries no count yet.
    /// </summary>
    /// <remarks>
    /// On RabbitMQ 4 the argument is never sent (see <see cref="Subscription.ConsumeArguments"/>), so a quorum queue the
    /// topology does not declare is not learnt this way: its failed messages are retried by a copy carrying the count, as on
    /// a classic queue, which keeps the count just as well.
    /// </remarks>
    public void QueueCountsDeliveries() => _queueCountsDeliveries = true;

    /// <summary>
    /// Processes one delivery to the end: deduplication, the handler (within <see cref="RabbitHaConsumerOptions.HandlerTimeout"/>),
    /// then acknowledged, tried again or dead-lettered. It does not throw for what the handler, the store or the channel do.
    /// </summary>
    /// <param name="channel">The channel the delivery came on, where it is settled (unless it has been retired since).</param>
    /// <param name="deliveryTag">The delivery's tag on that channel.</param>
    /// <param name="redelivered">The broker's redelivered flag.</param>
    /// <param name="exchange">The exchange the delivery came through.</param>
    /// <param name="routingKey">Its routing key.</param>
    /// <param name="properties">Its properties.</param>
    /// <param name="body">Its body, valid while this runs (and while an abandoned handler runs on).</param>
    /// <param name="cancellationToken">The subscription's: cancelled when it closes (stopping, or its channel is gone).</param>
    /// <param name="slot">The handler slot taken for this delivery; <see langword="null"/> to wait for one of <see cref="Slots"/> here.</param>
    public async Task ProcessAsync(
        IChannel channel,
        ulong deliveryTag,
        bool redelivered,
        string exchange,
        string routingKey,
        IReadOnlyBasicProperties properties,
        ReadOnlyMemory<byte> body,
        CancellationToken cancellationToken,
        HandlerSlot? slot = null)
    {
        HandlerSlot? own = slot is null ? await Slots.AcquireAsync(CancellationToken.None).ConfigureAwait(false) : null;
        try
        {
            await ProcessInSlotAsync(channel, deliveryTag, redelivered, exchange, routingKey, properties, body, slot ?? own!, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            own?.Release();
        }
    }

    /// <summary>Returns a delivery to its queue, unhandled: a handler of another copy of the same message still runs in this consumer.</summary>
    public Task ReturnRunningCopyAsync(IChannel channel, ulong deliveryTag, string? messageId)
    {
        _logger.RunningCopyReturned(Name, messageId);
        return SettleAsync(channel, deliveryTag, ack: false, requeue: true);
    }

    /// <summary>
    /// Settles nothing more on <paramref name="channel"/>: it has closed, and RabbitMQ.Client may recover it under the same
    /// object, numbering deliveries from 1 again, where an old delivery tag would settle another message or close the
    /// recovered channel (unknown delivery tag). The broker requeues what was not settled.
    /// </summary>
    public void RetireChannel(IChannel channel) => _retiredChannels.AddOrUpdate(channel, s_retired);

    private async Task ProcessInSlotAsync(
        IChannel channel,
        ulong deliveryTag,
        bool redelivered,
        string exchange,
        string routingKey,
        IReadOnlyBasicProperties properties,
        ReadOnlyMemory<byte> body,
        HandlerSlot slot,
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

        // The delivery's span, current from here on: the handler and the copies published for it run under it. Its parent
        // is the context the message carries (the publish's); the original exchange and routing key name it, as the handler sees them.
        using Activity? activity = RabbitHaTracing.StartProcess(_options.Queue, Name, originalExchange, originalRoutingKey, properties, deliveryTag, redelivered, context.IsResent, attempt);

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
                    RabbitHaTracing.DuplicateDropped(activity);
                    await SettleAsync(channel, deliveryTag, ack: true, requeue: false).ConfigureAwait(false);
                    return;
                case RabbitHaDeduplicationResult.InProgress:
                    _logger.DuplicateInProgress(Name, messageId);
                    RabbitHaTracing.Requeued(activity, attempt, "deduplication-in-progress", RequeueByBroker);
                    await SettleAsync(channel, deliveryTag, ack: false, requeue: true).ConfigureAwait(false);
                    return;
                default:
                    // The store failed or was too slow (logged), or the wait was cancelled: not the message's fault, not counted.
                    RabbitHaTracing.Requeued(activity, attempt, "deduplication-claim-failed", RequeueByBroker);
                    await SettleAsync(channel, deliveryTag, ack: false, requeue: true).ConfigureAwait(false);
                    return;
            }
        }

        HandlerResult result = await RunHandlerAsync(body, context, deliveryTag, slot, activity, cancellationToken).ConfigureAwait(false);
        _metrics.HandlerRan(Name, result.Duration);
        if (result.Outcome == HandlerOutcome.Cancelled)
        {
            await ReleaseClaimAsync(claimed, messageId).ConfigureAwait(false);
            _logger.HandlerCancelled(Name, messageId);
            RabbitHaTracing.Requeued(activity, attempt, "cancelled", RequeueByBroker);

            // Stopping or the channel closed: the message goes back unchanged (a requeue, or the channel's
            // close does it), and a cancelled attempt is not counted against the message.
            await SettleAsync(channel, deliveryTag, ack: false, requeue: true).ConfigureAwait(false);
            return;
        }

        if (result.Outcome == HandlerOutcome.Failed)
        {
            _metrics.Failed(Name);
            RabbitHaTracing.Failed(activity, result.Reason.ToHeaderValue(), result.Exception!);
            await ReleaseClaimAsync(claimed, messageId).ConfigureAwait(false);
            var failed = new FailedDelivery(channel, deliveryTag, attempt, brokerCount is not null, originalExchange, originalRoutingKey,
                properties, body, result.Reason, result.Exception!, activity);
            await SettleFailureAsync(failed, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (claimed)
        {
            // Recorded before the acknowledgement: if the channel dies before the broker has it, the
            // redelivered copy is then dropped instead of handled twice.
            await StoreAsync(messageId!, "mark as handled", static (store, scope, id, token) => store.MarkHandledAsync(scope, id, token))
                .ConfigureAwait(false);
        }

        _metrics.Handled(Name);
        await SettleAsync(channel, deliveryTag, ack: true, requeue: false).ConfigureAwait(false);
    }

    /// <summary>Acknowledges or rejects a delivery. On a channel that has closed meanwhile this cannot be done, and need not be: the broker requeues the message.</summary>
    private async Task SettleAsync(IChannel channel, ulong deliveryTag, bool ack, bool requeue)
    {
        if (_retiredChannels.TryGetValue(channel, out _))
        {
            _logger.SettleSkipped(Name, ack ? "acknowledge" : requeue ? "requeue" : "dead-letter", deliveryTag);
            return;
        }

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
