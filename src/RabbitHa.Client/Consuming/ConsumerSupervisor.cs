using System.Diagnostics;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client;

/// <summary>
/// Keeps one consumer subscribed, and is the only thing that restores its subscription: open a subscription
/// (waiting for an open connection) → wait until it ends, for any reason (connection lost, channel closed by
/// the broker, consumer cancelled by the broker) → close it → back off → again, until stopped.
/// </summary>
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

    private Task? _loop;
    private bool _disposed;
    private bool _cancelOnHaFailover;
    private bool _deadLetterQueueDeclared;
    private volatile Subscription? _current;

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
    /// <param name="topology">The declared topology, if known: a queue declared there as quorum counts deliveries itself, and gets a quorum dead-letter queue.</param>
    /// <param name="timeProvider">The clock of the back-off and of the requeue delay.</param>
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
        QueueType queueType = topology?.Queues.LastOrDefault(q => string.Equals(q.Name, _options.Queue, StringComparison.Ordinal))?.Type ?? QueueType.Classic;
        _deadLetterQueue = new DeadLetterQueue(connection, _options.EffectiveDeadLetterQueue, queueType, _options.EffectiveName, _options.Queue, logger, _stopping.Token);
        _processor = new DeliveryProcessor(_options, invoker, store, publisher, _deadLetterQueue, queueType, metrics, logger, _timeProvider);
        _cancelOnHaFailover = _options.CancelOnHaFailover;
    }

    public string Name => _processor.Name;

    public string Queue => _options.Queue;

    /// <summary>Gets a value indicating whether a subscription is open right now.</summary>
    public bool IsSubscribed => _current is { } subscription && !subscription.Ended.IsCompleted && subscription.Channel.IsOpen;

    /// <summary>Gets the channel of the current subscription, for tests that break it on purpose.</summary>
    internal IChannel? CurrentChannel => _current?.Channel;

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
            // a few seconds for cancelled handlers and the channel's close.
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
        var backoff = new JitteredBackoff(_options.ResubscribeMinDelay, _options.ResubscribeMaxDelay);
        Subscription? active = null;
        while (!stopping.IsCancellationRequested)
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

                active = await Subscription.OpenAsync(_connection, _options, _cancelOnHaFailover, _processor, _logger, _hardStop.Token, stopping).ConfigureAwait(false);
                subscribedAt = Stopwatch.GetTimestamp();
                _current = active;
                _logger.ConsumerSubscribed(Name, Queue, _connection.ClientProvidedName, _connection.CurrentEndpoint, active.ConsumerTag ?? string.Empty);
                end = await active.Ended.WaitAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (ObjectDisposedException) when (_connection.State == ConnectionState.Closed)
            {
                // The application closed the connection (it is final): nothing to resubscribe on.
                _logger.ConsumerConnectionClosed(Name);
                break;
            }
            catch (Exception ex) when (_cancelOnHaFailover && Subscription.IsCancelOnHaFailoverRefused(ex))
            {
                // Not a classic queue, so there is no master to move: consume without the argument from now on. Such a
                // queue (quorum) counts deliveries itself, so failed messages are simply returned to it.
                _cancelOnHaFailover = false;
                _processor.QueueCountsDeliveries();
                _logger.CancelOnHaFailoverRefused(Name, Queue);
                continue;
            }
            catch (Exception ex) when (IsTransient(ex))
            {
                end = new SubscriptionEnd(SubscriptionEndReason.SubscribeFailed, ex.Message, ex);
                _logger.SubscribeFailed(Name, Queue, ex.Message);
            }
            // Anything else is a surprise, logged as an error; the consumer still keeps trying, since giving up would silently stop consumption.
            catch (Exception ex)
            {
                end = new SubscriptionEnd(SubscriptionEndReason.SubscribeFailed, ex.Message, ex);
                _logger.SubscribeFailedUnexpectedly(Name, Queue, ex);
            }

            _current = null;
            if (active is not null)
            {
                // Handlers still running finish first: after a broker cancel the channel is open and their
                // acknowledgements still count; after a channel loss their tokens are already cancelled.
                await active.CloseAsync(_options.StopTimeout, cancelConsumer: false, _hardStop.Token).ConfigureAwait(false);
                active = null;
            }

            if (subscribedAt != 0)
            {
                TimeSpan lasted = Stopwatch.GetElapsedTime(subscribedAt);
                _logger.SubscriptionEnded(Name, Queue, lasted, end.Reason, end.Detail);

                // A subscription that was healthy for a while says the last problem is over: retry quickly.
                if (lasted >= _options.ResubscribeMaxDelay)
                {
                    backoff.Reset();
                }
            }

            _metrics.Resubscribing(Name, end.Tag);
            TimeSpan delay = backoff.Next();
            _logger.Resubscribing(Name, Queue, delay, backoff.Attempt);
            try
            {
                await Task.Delay(delay, _timeProvider, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
        }

        _current = null;
        if (active is not null)
        {
            _logger.ConsumerStopping(Name, _options.StopTimeout, active.InFlight);
            await active.CloseAsync(_options.StopTimeout, cancelConsumer: true, _hardStop.Token).ConfigureAwait(false);
        }

        _logger.ConsumerStopped(Name);
    }

    /// <summary>Failures that the next attempt may not meet: the connection dropped, the broker refused (a missing queue), a timeout.</summary>
    private static bool IsTransient(Exception exception) =>
        exception is OperationInterruptedException or RabbitHaConnectionException or IOException or TimeoutException or ProtocolViolationException;
}
