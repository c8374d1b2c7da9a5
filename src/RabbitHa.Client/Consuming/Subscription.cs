using Microsoft.Extensions.Logging;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Internal.Consuming;

/// <summary>
/// One subscription of a consumer: its own channel, prefetch and <c>basic.consume</c>, and a <see cref="DeliveryPump"/>
/// that runs its deliveries. It ends, once, for whichever comes first of the ways a subscription dies
/// (<see cref="Ended"/>); the supervisor then closes it and opens a new one. It is never reused, and never waited for:
/// an old subscription is closed in the background while the new one takes deliveries.
/// </summary>
#pragma warning disable CA1001 // _handlers is cancelled, never disposed: a handler abandoned at the close may still hold a registration on it, and a source without a timer holds nothing to release.
internal sealed class Subscription : IAsyncBasicConsumer
#pragma warning restore CA1001
{
    /// <summary>The consume argument that makes the broker cancel the consumer when a mirrored queue's master moves.</summary>
    public const string CancelOnHaFailoverArgument = "x-cancel-on-ha-failover";

    /// <summary>
    /// The arguments of <c>basic.consume</c>: <see cref="CancelOnHaFailoverArgument"/> when asked for, unless the broker has no
    /// mirrored queues whose master could move (RabbitMQ 4 and later).
    /// </summary>
    /// <param name="cancelOnHaFailover">The consumer's wish, as long as the queue has not refused the argument.</param>
    /// <param name="brokerVersion">The RabbitMQ version of the node the subscription is on, or <see langword="null"/> when unknown.</param>
    public static Dictionary<string, object?>? ConsumeArguments(bool cancelOnHaFailover, Version? brokerVersion) =>
        cancelOnHaFailover && !BrokerInfo.HasUnreplicatedClassicQueues(brokerVersion)
            ? new Dictionary<string, object?>(StringComparer.Ordinal) { [CancelOnHaFailoverArgument] = true }
            : null;

    /// <summary>
    /// Whether the broker refused <see cref="CancelOnHaFailoverArgument"/>: queue types other than classic
    /// (quorum, stream) reject unknown consume arguments with PRECONDITION_FAILED.
    /// </summary>
    public static bool IsCancelOnHaFailoverRefused(Exception exception) =>
        exception is OperationInterruptedException { ShutdownReason: { ReplyCode: Constants.PreconditionFailed } reason }
        && reason.ReplyText.Contains(CancelOnHaFailoverArgument, StringComparison.Ordinal);

    /// <summary>How long closing the channel may take before it is left to finish in the background (a recovery may hold RabbitMQ.Client's bookkeeping).</summary>
    private static readonly TimeSpan s_closeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long closing waits, beyond the handlers' grace, for the messages of handlers given up on to be returned.</summary>
    private static readonly TimeSpan s_settleMargin = TimeSpan.FromSeconds(1);

    private readonly IRabbitHaConnection _connection;
    private readonly DeliveryProcessor _processor;
    private readonly ILogger _logger;
    private readonly TimeSpan _cancellationGrace;

    /// <summary>The handlers' token: cancelled by <see cref="CloseAsync"/> only (see <see cref="HandlerCancellation"/>).</summary>
    private readonly CancellationTokenSource _handlers = new();
    private readonly DeliveryPump _pump;
    private readonly TaskCompletionSource<SubscriptionEnd> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _channelGone;

    private Subscription(IRabbitHaConnection connection, IChannel channel, DeliveryProcessor processor, ILogger logger, TimeSpan cancellationGrace)
    {
        _connection = connection;
        Channel = channel;
        _processor = processor;
        _logger = logger;
        _cancellationGrace = cancellationGrace;
        _pump = new DeliveryPump(channel, processor, logger, _handlers.Token);
    }

    public IChannel Channel { get; }

    IChannel? IAsyncBasicConsumer.Channel => Channel;

    public string? ConsumerTag { get; private set; }

    /// <summary>Gets a task that completes with the reason when the subscription ends without the application ending it.</summary>
    public Task<SubscriptionEnd> Ended => _ended.Task;

    public int InFlight => _pump.InFlight;

    /// <summary>Opens a channel (waiting for an open connection), sets the prefetch and subscribes. <paramref name="cancellationToken"/> cancels opening.</summary>
    public static async Task<Subscription> OpenAsync(
        IRabbitHaConnection connection,
        RabbitHaConsumerOptions options,
        bool cancelOnHaFailover,
        DeliveryProcessor processor,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        // One dispatcher worker is enough: it only hands deliveries over to the pump, which bounds the handlers itself
        // (Concurrency, across this consumer's subscriptions), and keeps the broker's cancel from queueing behind a handler.
        var channelOptions = new CreateChannelOptions(
            publisherConfirmationsEnabled: false,
            publisherConfirmationTrackingEnabled: false,
            consumerDispatchConcurrency: 1);
        IChannel channel = await connection.CreateChannelAsync(channelOptions, cancellationToken).ConfigureAwait(false);
        var subscription = new Subscription(connection, channel, processor, logger, options.CancellationGrace);
        try
        {
            // Subscribed first: a channel that is already closed raises it at once.
            channel.ChannelShutdownAsync += subscription.OnChannelShutdownAsync;
            channel.CallbackExceptionAsync += subscription.OnCallbackExceptionAsync;
            await channel.BasicQosAsync(0, checked((ushort)options.PrefetchCount), global: false, cancellationToken).ConfigureAwait(false);
            // Read once the channel is open: the version is that of the node this channel is on, known even when
            // subscribing started before the connection's first connect.
            Dictionary<string, object?>? arguments = ConsumeArguments(cancelOnHaFailover, connection.BrokerVersion);
            subscription.ConsumerTag = await channel.BasicConsumeAsync(options.Queue, autoAck: false, consumerTag: string.Empty,
                noLocal: false, exclusive: false, arguments, subscription, cancellationToken).ConfigureAwait(false);
            return subscription;
        }
        catch
        {
            // Half-open (a channel without a consumer): never handed out.
            subscription._pump.StopAccepting();
            await subscription.CloseChannelAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Closes the subscription: no new deliveries; while the channel is open, the running handlers get
    /// <paramref name="drainTimeout"/> to finish (and acknowledge); then the handlers' tokens are cancelled, they get a
    /// moment to return, and the channel is closed, which makes the broker requeue whatever was not acknowledged. A
    /// handler still running then is not waited for: it keeps its slot, and nothing it settles reaches the broker.
    /// </summary>
    /// <param name="drainTimeout">How long to wait for running handlers, while the channel is open.</param>
    /// <param name="cancelConsumer">Whether to tell the broker first (<c>basic.cancel</c>), when stopping; pointless once the broker ended it.</param>
    /// <param name="hardStop">Cuts the wait short.</param>
    /// <remarks>The channel is closed whatever fails before; a failure is then thrown, for the supervisor to log.</remarks>
    public async Task CloseAsync(TimeSpan drainTimeout, bool cancelConsumer, CancellationToken hardStop)
    {
        _pump.StopAccepting();
        try
        {
            if (cancelConsumer && ConsumerTag is not null && Channel.IsOpen)
            {
                await CancelConsumerAsync(ConsumerTag).ConfigureAwait(false);
            }

            // A channel that is gone cannot take an acknowledgement: its handlers are cancelled at once.
            bool drained = !_channelGone && Channel.IsOpen && await _pump.WaitIdleAsync(drainTimeout, hardStop).ConfigureAwait(false);
            if (!drained)
            {
                if (_pump.InFlight > 0 && !_channelGone)
                {
                    _logger.HandlersStillRunning(_processor.Name, _pump.InFlight, drainTimeout);
                }

                // The processor gives a cancelled handler the same grace, then gives up on it and returns its message:
                // waiting a little longer lets that return reach the broker while the channel is still open.
                await HandlerCancellation.CancelAsync(_handlers, _logger, _processor.Name).ConfigureAwait(false);
                await _pump.WaitIdleAsync(_cancellationGrace + s_settleMargin, CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            _processor.RetireChannel(Channel);
            await CloseChannelAsync().ConfigureAwait(false);
        }
    }

    public Task HandleBasicDeliverAsync(string consumerTag, ulong deliveryTag, bool redelivered, string exchange, string routingKey,
        IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        // The token is RabbitMQ.Client's: cancelled once the channel shuts down, when deliveries still queued
        // in its dispatcher can no longer be acknowledged. Those, and any after closing began, are left alone:
        // the broker requeues them when the channel is gone.
        if (!cancellationToken.IsCancellationRequested && !_channelGone)
        {
            _ = _pump.Post(new Delivery(deliveryTag, redelivered, exchange, routingKey, properties, body.ToArray()));
        }

        return Task.CompletedTask;
    }

    public Task HandleBasicCancelAsync(string consumerTag, CancellationToken cancellationToken = default)
    {
        End(new SubscriptionEnd(SubscriptionEndReason.CancelledByBroker,
            $"the broker cancelled consumer '{consumerTag}': the queue was deleted, or the master of the mirrored queue moved"));
        return Task.CompletedTask;
    }

    public Task HandleBasicCancelOkAsync(string consumerTag, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task HandleBasicConsumeOkAsync(string consumerTag, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task HandleChannelShutdownAsync(object channel, ShutdownEventArgs reason) => OnChannelShutdownAsync(channel, reason);

    private Task OnChannelShutdownAsync(object sender, ShutdownEventArgs reason)
    {
        // Before anything else: RabbitMQ.Client may recover this channel under the same object, where the delivery tags
        // of the handlers still running would mean other messages.
        _channelGone = true;
        _processor.RetireChannel(Channel);
        End(Describe(reason));
        return Task.CompletedTask;
    }

    private async Task CancelConsumerAsync(string consumerTag)
    {
        try
        {
            using var timeout = new CancellationTokenSource(s_closeTimeout);
            await Channel.BasicCancelAsync(consumerTag, noWait: false, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationInterruptedException or OperationCanceledException or TimeoutException or IOException)
        {
            // The channel is going anyway; closing it below stops the deliveries just as well.
            _logger.ChannelCloseFailed(_processor.Name, ex);
        }
    }

    private Task OnCallbackExceptionAsync(object sender, CallbackExceptionEventArgs e)
    {
        string detail = string.Join(", ", e.Detail.Select(static pair => $"{pair.Key}: {pair.Value}"));
        _logger.CallbackException(_connection.ClientProvidedName, detail, e.Exception);
        return Task.CompletedTask;
    }

    private void End(SubscriptionEnd end) => _ended.TrySetResult(end);

    /// <summary>Tells a lost connection from a channel-level error: both arrive as the channel's shutdown.</summary>
    private SubscriptionEnd Describe(ShutdownEventArgs reason)
    {
        bool connectionLost = _connection.State != RabbitHaConnectionState.Open
            || reason.Initiator == ShutdownInitiator.Library
            || reason.ReplyCode == Constants.ConnectionForced;
        string detail = $"{reason.Initiator}, {reason.ReplyCode} {reason.ReplyText}";
        return new SubscriptionEnd(connectionLost ? SubscriptionEndReason.ConnectionLost : SubscriptionEndReason.ChannelClosed, detail, reason.Exception);
    }

    /// <summary>
    /// Aborts and disposes the channel. Aborting also makes RabbitMQ.Client forget the channel's consumer,
    /// which it would otherwise keep recorded, though never recovering it, for the life of the connection.
    /// </summary>
    private async Task CloseChannelAsync()
    {
        Task closing = AbortAndDisposeAsync();
        try
        {
            await closing.WaitAsync(s_closeTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _logger.ChannelCloseSlow(_processor.Name, s_closeTimeout);
            _ = closing.ContinueWith(static (t, state) => ((ILogger)state!).ChannelCloseFailed("(background)", t.Exception!),
                _logger, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    private async Task AbortAndDisposeAsync()
    {
        try
        {
            try
            {
                await Channel.AbortAsync(CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                // Disposed even when the abort failed: a channel left recorded would be recovered with the connection.
                await Channel.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationInterruptedException or IOException or ObjectDisposedException or TimeoutException or OperationCanceledException)
        {
            // Closing a channel whose connection is gone: nothing is left to release on the broker.
            _logger.ChannelCloseFailed(_processor.Name, ex);
        }
    }
}
