using System.Diagnostics;
using Microsoft.Extensions.Logging;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Resilience;
using RabbitHa.Client.Internal.Topology;
using RabbitMQ.Client;

namespace RabbitHa.Client.Internal.Consuming;

/// <summary>
/// Keeps one consumer subscribed, and is the only thing that restores its subscription: open a subscription
/// (waiting for an open connection) → wait until it ends, for any reason (connection lost, channel closed by
/// the broker, consumer cancelled by the broker) → close it in the background → back off → again, until stopped.
/// </summary>
/// <remarks>
/// Nothing that happens in the loop ends it but a stop or the application closing the connection: whatever throws
/// (a logger, closing a channel, a handler's cancellation callback) is logged and the loop goes on, since a loop that
/// died would stop consumption without a word. An ended subscription is never waited for: its handlers may be hung,
/// and the new subscription runs with the handler slots they leave free.
/// </remarks>
internal sealed class ConsumerSupervisor : IAsyncDisposable
{
    private readonly IRabbitHaConnection _connection;
    private readonly RabbitHaConsumerOptions _options;
    private readonly DeliveryProcessor _processor;
    private readonly DeadLetterQueue _deadLetterQueue;
    private readonly ConsumerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _hardStop = new();
    private readonly object _gate = new();
    private readonly List<Task> _retiring = [];

    private Task? _loop;
    private bool _disposed;
    private bool _cancelOnHaFailover;
    private bool _deadLetterQueueDeclared;
    private volatile Subscription? _current;

    /// <summary>Since when (a timestamp of <see cref="_timeProvider"/>) the consumer has had no subscription; 0 while it has one. Under <see cref="_gate"/>.</summary>
    private long _notSubscribedSince;

    /// <summary>Why the last subscription ended or could not be opened. Under <see cref="_gate"/>.</summary>
    private string? _lastError;

    /// <param name="connection">The connection to consume on, and to declare the dead-letter queue on.</param>
    /// <param name="options">The options, validated; copied, so later changes do not reach the running consumer.</param>
    /// <param name="invoker">Calls the handler.</param>
    /// <param name="store">The deduplication store, when deduplication is on.</param>
    /// <param name="publisher">
    /// Publishes the copies of failed messages (back to the queue, or to the dead-letter queue). It should run on another
    /// connection than <paramref name="connection"/>: a resource alarm blocks a connection that publishes, and with it
    /// the consumer's acknowledgements.
    /// </param>
    /// <param name="metrics">The consumers' instruments.</param>
    /// <param name="logger">The consumer's logger.</param>
    /// <param name="topology">
    /// The declared topology, if known: a queue declared there as quorum counts deliveries itself, and its dead-letter queue
    /// takes its type; the dead-letter queue of a queue not declared there is a quorum queue on RabbitMQ 4 (see <see cref="DeadLetterQueue"/>).
    /// </param>
    /// <param name="timeProvider">The clock of the back-off, of the handlers' and the store's timeouts, of the requeue delay and of the health check.</param>
    public ConsumerSupervisor(
        IRabbitHaConnection connection,
        RabbitHaConsumerOptions options,
        IMessageInvoker invoker,
        IRabbitHaDeduplicationStore? store,
        IRabbitHaPublisher publisher,
        ConsumerMetrics metrics,
        ILogger logger,
        RabbitHaTopologyOptions? topology = null,
        TimeProvider? timeProvider = null)
    {
        _connection = connection;
        _options = options.Clone();
        _metrics = metrics;
        _logger = logger;
        _timeProvider = timeProvider ?? TimeProvider.System;
        RabbitHaQueueType? queueType = DeclaredType(topology, _options.Queue);
        _deadLetterQueue = new DeadLetterQueue(connection, _options.EffectiveDeadLetterQueue, queueType, _options.EffectiveName, _options.Queue, logger, _stopping.Token);
        _processor = new DeliveryProcessor(_options, invoker, store, publisher, _deadLetterQueue, queueType ?? RabbitHaQueueType.Classic, metrics, logger, _timeProvider);
        _cancelOnHaFailover = _options.CancelOnHaFailover;
    }

    public string Name => _processor.Name;

    public string Queue => _options.Queue;

    /// <summary>Gets a value indicating whether a subscription is open right now.</summary>
    public bool IsSubscribed => _current is { } subscription && !subscription.Ended.IsCompleted && subscription.Channel.IsOpen;

    /// <summary>Gets the channel of the current subscription, for tests that break it on purpose.</summary>
    internal IChannel? CurrentChannel => _current?.Channel;

    /// <summary>Gets the consumer's handler slots, for tests.</summary>
    internal HandlerSlots Slots => _processor.Slots;

    /// <summary>Gets where the consumer stands, for the health check: reads state only.</summary>
    public ConsumerStatus GetStatus()
    {
        long now = _timeProvider.GetTimestamp();
        bool subscribed = IsSubscribed;
        TimeSpan notSubscribedFor;
        string? lastError;
        bool running;
        lock (_gate)
        {
            notSubscribedFor = subscribed || _notSubscribedSince == 0 ? TimeSpan.Zero : _timeProvider.GetElapsedTime(_notSubscribedSince, now);
            lastError = _lastError;
            running = _loop is not null && !_disposed && !_stopping.IsCancellationRequested;
        }

        return new ConsumerStatus(Name, Queue, running, subscribed, notSubscribedFor, lastError, _options.UnhealthyAfter, _options.Concurrency,
            _processor.Slots.Hung(now, _timeProvider));
    }

    /// <summary>Starts the supervision loop and returns; subscribing happens in the background. Idempotent.</summary>
    /// <exception cref="ObjectDisposedException">The consumer has been stopped.</exception>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
            if (_loop is not null)
            {
                return;
            }

            _notSubscribedSince = _timeProvider.GetTimestamp();
            _logger.ConsumerStarting(Name, Queue, _options.PrefetchCount, _options.Concurrency, _options.DeduplicateByMessageId);
            _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        }
    }

    /// <summary>
    /// Stops: no new deliveries, running handlers get <see cref="RabbitHaConsumerOptions.StopTimeout"/> to finish,
    /// then the channel is closed. Idempotent; later calls wait for the same stop.
    /// </summary>
    /// <param name="cancellationToken">Cuts the wait for running handlers short: they are cancelled and their messages requeued.</param>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task? loop;
        lock (_gate)
        {
            if (_disposed && _loop is { IsCompleted: true })
            {
                return;
            }

            loop = _loop;
            _loop ??= Task.CompletedTask;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (loop is null)
        {
            return;
        }

        using (cancellationToken.Register(static state => ((CancellationTokenSource)state!).Cancel(), _hardStop))
        {
            // The loop never faults (it logs and retries), and once stopping it is bounded by StopTimeout plus
            // a few seconds for cancelled handlers and the channels' close; hung handlers are not waited for.
            await loop.ConfigureAwait(false);
        }
    }

    /// <summary>Stops (see <see cref="StopAsync"/>) and releases the cancellation sources.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
        _hardStop.Dispose();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var backoff = new JitteredBackoff(_options.ResubscribeDelay, _options.MaxResubscribeDelay);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (!await SubscribeOnceAsync(backoff, stopping).ConfigureAwait(false))
                {
                    break;
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            // The loop is the consumer's only way back to a subscription: whatever else fails in it (a logger that throws,
            // closing a channel) is reported, and it goes on after the next back-off delay.
            catch (Exception ex)
            {
                RetireCurrent();
                MarkNotSubscribed(FailureClassification.DescribeReply(ex));
                Report("resubscribing", ex);
                if (!await DelayAsync(backoff.Next(), stopping).ConfigureAwait(false))
                {
                    break;
                }
            }
        }

        await StopSubscriptionsAsync().ConfigureAwait(false);
    }

    /// <summary>One subscription, from opening it to the back-off after it ended.</summary>
    /// <returns><see langword="false"/> when there is nothing to resubscribe on: stopping, or the connection is closed for good.</returns>
    private async Task<bool> SubscribeOnceAsync(JitteredBackoff backoff, CancellationToken stopping)
    {
        SubscriptionEnd end;
        long subscribedAt = 0;
        try
        {
            if (!_deadLetterQueueDeclared && _options.DeadLetterStrategy == RabbitHaDeadLetterStrategy.Queue)
            {
                // Before the first subscription, until the broker has answered: a refusal is logged inside and does not
                // stop consuming, and a dead-letter copy that later finds no queue declares it again.
                _deadLetterQueueDeclared = await _deadLetterQueue.DeclareAsync(stopping).ConfigureAwait(false);
            }

            Subscription active = await Subscription.OpenAsync(_connection, _options, _cancelOnHaFailover, _processor, _logger, stopping).ConfigureAwait(false);
            _current = active;
            subscribedAt = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                _notSubscribedSince = 0;
            }

            _logger.ConsumerSubscribed(Name, Queue, _connection.ClientProvidedName, _connection.CurrentEndpoint, active.ConsumerTag ?? string.Empty);
            end = await active.Ended.WaitAsync(stopping).ConfigureAwait(false);
        }
        catch (ObjectDisposedException) when (_connection.State == RabbitHaConnectionState.Closed)
        {
            // The application closed the connection (it is final): nothing to resubscribe on.
            _logger.ConsumerConnectionClosed(Name);
            return false;
        }
        catch (Exception ex) when (_cancelOnHaFailover && Subscription.IsCancelOnHaFailoverRefused(ex))
        {
            // Not a classic queue, so there is no master to move: consume without the argument from now on. Such a
            // queue (quorum) counts deliveries itself, so failed messages are simply returned to it.
            _cancelOnHaFailover = false;
            _processor.QueueCountsDeliveries();
            _logger.CancelOnHaFailoverRefused(Name, Queue);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException && FailureClassification.IsTransientSubscribeFailure(ex))
        {
            end = new SubscriptionEnd(SubscriptionEndReason.SubscribeFailed, FailureClassification.DescribeReply(ex), ex);
            _logger.SubscribeFailed(Name, Queue, end.Detail);
        }
        // Anything else is a surprise, logged as an error; the consumer still keeps trying, since giving up would silently stop consumption.
        catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            end = new SubscriptionEnd(SubscriptionEndReason.SubscribeFailed, FailureClassification.DescribeReply(ex), ex);
            _logger.SubscribeFailedUnexpectedly(Name, Queue, ex);
        }

        MarkNotSubscribed(end.Detail);

        // Closed in the background: after a broker cancel its handlers may still acknowledge on the open channel, after a
        // channel loss they are cancelled at once; either way a hung one must not hold back the next subscription.
        RetireCurrent();
        if (subscribedAt != 0)
        {
            TimeSpan lasted = Stopwatch.GetElapsedTime(subscribedAt);
            _logger.SubscriptionEnded(Name, Queue, lasted, end.Reason.ToString(), end.Detail);

            // A subscription that was healthy for a while says the last problem is over: retry quickly.
            if (lasted >= _options.MaxResubscribeDelay)
            {
                backoff.Reset();
            }
        }

        _metrics.Resubscribing(Name, end.Tag);
        TimeSpan delay = backoff.Next();
        _logger.Resubscribing(Name, Queue, delay, backoff.Attempt);
        return await DelayAsync(delay, stopping).ConfigureAwait(false);
    }

    /// <returns><see langword="false"/> when stopping cut the delay short.</returns>
    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(delay, _timeProvider, stopping).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return false;
        }
    }

    private void MarkNotSubscribed(string error)
    {
        lock (_gate)
        {
            _lastError = error;
            if (_notSubscribedSince == 0)
            {
                _notSubscribedSince = _timeProvider.GetTimestamp();
            }
        }
    }

    /// <summary>Takes the current subscription out of service and closes it in the background; <see cref="StopAsync"/> waits for it.</summary>
    private void RetireCurrent()
    {
        Subscription? retired = Interlocked.Exchange(ref _current, null);
        if (retired is null)
        {
            return;
        }

        Task closing = Task.Run(() => CloseRetiredAsync(retired), CancellationToken.None);
        lock (_retiring)
        {
            _retiring.RemoveAll(static task => task.IsCompleted);
            _retiring.Add(closing);
        }
    }

    private async Task CloseRetiredAsync(Subscription subscription)
    {
        try
        {
            await subscription.CloseAsync(_options.StopTimeout, cancelConsumer: false, _hardStop.Token).ConfigureAwait(false);
        }
        // Nobody awaits this but the stop: a failure is reported here, or it would vanish with the task.
        catch (Exception ex)
        {
            Report("closing an ended subscription", ex);
        }
    }

    /// <summary>The end of the loop: the current subscription is closed, its handlers drained; the ended ones finish closing.</summary>
    private async Task StopSubscriptionsAsync()
    {
        Subscription? active = Interlocked.Exchange(ref _current, null);
        try
        {
            if (active is not null)
            {
                _logger.ConsumerStopping(Name, _options.StopTimeout, active.InFlight);
                await active.CloseAsync(_options.StopTimeout, cancelConsumer: true, _hardStop.Token).ConfigureAwait(false);
            }
        }
        // Stopping goes on to the end whatever fails: the caller waits for it.
        catch (Exception ex)
        {
            Report("stopping", ex);
        }

        Task[] retiring;
        lock (_retiring)
        {
            retiring = [.. _retiring];
            _retiring.Clear();
        }

        // Each one reports its own failure; bounded by StopTimeout (or the hard stop) and the channel's close timeout.
        await Task.WhenAll(retiring).ConfigureAwait(false);
        try
        {
            int hung = _processor.Slots.Hung(_timeProvider.GetTimestamp(), _timeProvider).Count;
            if (hung > 0)
            {
                _logger.HungHandlersAtStop(Name, hung);
            }

            _logger.ConsumerStopped(Name);
        }
        catch (Exception ex)
        {
            Report("logging its stop", ex);
        }
    }

    /// <summary>Logs a failure of the loop, and keeps it as the last error, which the health check shows while the consumer is not subscribed.</summary>
    private void Report(string step, Exception exception)
    {
        lock (_gate)
        {
            _lastError = $"{step}: {FailureClassification.DescribeReply(exception)}";
        }

        try
        {
            _logger.SupervisorStepFailed(Name, step, exception);
        }
        // A logger that throws cannot report its own failure, and the loop must go on: the failure stays in the last
        // error, where the health check shows it.
        catch (Exception loggingFailure)
        {
            lock (_gate)
            {
                _lastError = $"{step}: {FailureClassification.DescribeReply(exception)} (logging it failed too: {loggingFailure.Message})";
            }
        }
    }

    /// <summary>The type the topology declares <paramref name="queue"/> with, or <see langword="null"/> when it does not declare it.</summary>
    private static RabbitHaQueueType? DeclaredType(RabbitHaTopologyOptions? topology, string queue)
    {
        RabbitHaQueueDefinition? definition = topology?.Queues.LastOrDefault(q => string.Equals(q.Name, queue, StringComparison.Ordinal));
        if (definition is null)
        {
            return null;
        }

        return string.Equals(TopologyDeclarer.DeclaredQueueType(definition), TopologyDeclarer.QuorumQueueType, StringComparison.OrdinalIgnoreCase)
            ? RabbitHaQueueType.Quorum
            : RabbitHaQueueType.Classic;
    }
}
