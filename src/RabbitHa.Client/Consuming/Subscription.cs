using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client;

/// <summary>
/// One subscription of a consumer: its own channel, prefetch and <c>basic.consume</c>. It ends, once, for
/// whichever comes first of the ways a subscription dies (<see cref="Ended"/>); the supervisor then closes it
/// and opens a new one. It is never reused: a consumer is never subscribed twice.
/// </summary>
internal sealed class Subscription : IAsyncBasicConsumer
{
    /// <summary>The consume argument that makes the broker cancel the consumer when a mirrored queue's master moves.</summary>
    public const string CancelOnHaFailoverArgument = "x-cancel-on-ha-failover";

    /// <summary>
    /// Whether the broker refused <see cref="CancelOnHaFailoverArgument"/>: queue types other than classic
    /// (quorum, stream) reject unknown consume arguments with PRECONDITION_FAILED.
    /// </summary>
    public static bool IsCancelOnHaFailoverRefused(Exception exception) =>
        exception is OperationInterruptedException { ShutdownReason: { ReplyCode: Constants.PreconditionFailed } reason }
        && reason.ReplyText.Contains(CancelOnHaFailoverArgument, StringComparison.Ordinal);

    /// <summary>How long handlers get to finish after their cancellation token fired.</summary>
    private static readonly TimeSpan s_cancelGrace = TimeSpan.FromSeconds(2);

    /// <summary>How long closing the channel may take before it is left to finish in the background (a recovery may hold RabbitMQ.Client's bookkeeping).</summary>
    private static readonly TimeSpan s_closeTimeout = TimeSpan.FromSeconds(5);

    private readonly IRabbitHaConnection _connection;
    private readonly DeliveryProcessor _processor;
    private readonly ILogger _logger;
    private readonly InFlightTracker _inFlight = new();
    private readonly CancellationTokenSource _handlers;
    private readonly TaskCompletionSource<SubscriptionEnd> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private Subscription(IRabbitHaConnection connection, IChannel channel, DeliveryProcessor processor, ILogger logger, CancellationToken hardStop)
    {
        _connection = connection;
        Channel = channel;
        _processor = processor;
        _logger = logger;
        _handlers = CancellationTokenSource.CreateLinkedTokenSource(hardStop);
    }

    public IChannel Channel { get; }

    IChannel? IAsyncBasicConsumer.Channel => Channel;

    public string? ConsumerTag { get; private set; }

    /// <summary>Gets a task that completes with the reason when the subscription ends without the application ending it.</summary>
    public Task<SubscriptionEnd> Ended => _ended.Task;

    public int InFlight => _inFlight.Count;

    /// <summary>
    /// Opens a channel (waiting for an open connection), sets the prefetch and subscribes. <paramref name="hardStop"/>
    /// cancels the handlers when stopping has run out of time; <paramref name="cancellationToken"/> cancels opening.
    /// </summary>
    public static async Task<Subscription> OpenAsync(
        IRabbitHaConnection connection,
        RabbitHaConsumerOptions options,
        bool cancelOnHaFailover,
        DeliveryProcessor processor,
        ILogger logger,
        CancellationToken hardStop,
        CancellationToken cancellationToken)
    {
        // RabbitMQ.Client's dispatcher runs up to this many deliveries of the channel at once.
        var channelOptions = new CreateChannelOptions(
            publisherConfirmationsEnabled: false,
            publisherConfirmationTrackingEnabled: false,
            consumerDispatchConcurrency: checked((ushort)options.Concurrency));
        IChannel channel = await connection.CreateChannelAsync(channelOptions, cancellationToken).ConfigureAwait(false);
        var subscription = new Subscription(connection, channel, processor, logger, hardStop);
        try
        {
            // Subscribed first: a channel that is already closed raises it at once.
            channel.ChannelShutdownAsync += subscription.OnChannelShutdownAsync;
            channel.CallbackExceptionAsync += subscription.OnCallbackExceptionAsync;
            await channel.BasicQosAsync(0, checked((ushort)options.PrefetchCount), global: false, cancellationToken).ConfigureAwait(false);
            Dictionary<string, object?>? arguments = cancelOnHaFailover
                ? new Dictionary<string, object?>(StringComparer.Ordinal) { [CancelOnHaFailoverArgument] = true }
                : null;
            subscription.ConsumerTag = await channel.BasicConsumeAsync(options.Queue, autoAck: false, consumerTag: string.Empty,
                noLocal: false, exclusive: false, arguments, subscription, cancellationToken).ConfigureAwait(false);
            return subscription;
        }
        catch
        {
            // Half-open (a channel without a consumer): never handed out.
            await subscription.CloseChannelAsync().ConfigureAwait(false);
            subscription._handlers.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Closes the subscription: no new deliveries, the running handlers get <paramref name="drainTimeout"/>
    /// to finish (and acknowledge on the still-open channel), then the channel is closed, which makes the
    /// broker requeue whatever was not acknowledged.
    /// </summary>
    /// <param name="drainTimeout">How long to wait for running handlers.</param>
    /// <param name="cancelConsumer">Whether to tell the broker first (<c>basic.cancel</c>), when stopping; pointless once the broker ended it.</param>
    /// <param name="hardStop">Cuts the wait short.</param>
    public async Task CloseAsync(TimeSpan drainTimeout, bool cancelConsumer, CancellationToken hardStop)
    {
        _inFlight.StopAccepting();
        if (cancelConsumer && ConsumerTag is not null && Channel.IsOpen)
        {
            try
            {
                using var timeout = new CancellationTokenSource(s_closeTimeout);
                await Channel.BasicCancelAsync(ConsumerTag, noWait: false, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationInterruptedException or OperationCanceledException or TimeoutException or IOException)
            {
                // The channel is going anyway; closing it below stops the deliveries just as well.
                _logger.ChannelCloseFailed(_processor.Name, ex);
            }
        }

        if (!await _inFlight.WaitIdleAsync(drainTimeout, hardStop).ConfigureAwait(false))
        {
            _logger.HandlersStillRunning(_processor.Name, _inFlight.Count, drainTimeout);
            await _handlers.CancelAsync().ConfigureAwait(false);
            await _inFlight.WaitIdleAsync(s_cancelGrace, CancellationToken.None).ConfigureAwait(false);
        }

        await CloseChannelAsync().ConfigureAwait(false);
        _handlers.Dispose();
    }

    public Task HandleBasicDeliverAsync(string consumerTag, ulong deliveryTag, bool redelivered, string exchange, string routingKey,
        IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        // The token is RabbitMQ.Client's: cancelled once the channel shuts down, when deliveries still queued
        // in its dispatcher can no longer be acknowledged. Those, and any after closing began, are left alone:
        // the broker requeues them when the channel is gone.
        if (cancellationToken.IsCancellationRequested || !_inFlight.TryEnter())
        {
            return Task.CompletedTask;
        }

        return ProcessAsync(deliveryTag, redelivered, exchange, routingKey, properties, body, cancellationToken);
    }

    public Task HandleBasicCancelAsync(string consumerTag, CancellationToken cancellationToken = default)
    {
        End(new SubscriptionEnd(SubscriptionEndReason.CancelledByBroker,
            $"the broker cancelled consumer '{consumerTag}': the queue was deleted, or the master of the mirrored queue moved"));
        return Task.CompletedTask;
    }

    public Task HandleBasicCancelOkAsync(string consumerTag, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task HandleBasicConsumeOkAsync(string consumerTag, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task HandleChannelShutdownAsync(object channel, ShutdownEventArgs reason)
    {
        End(Describe(reason));
        return Task.CompletedTask;
    }

    private async Task ProcessAsync(ulong deliveryTag, bool redelivered, string exchange, string routingKey,
        IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken dispatcherToken)
    {
        try
        {
            using var handlerToken = CancellationTokenSource.CreateLinkedTokenSource(_handlers.Token, dispatcherToken);
            await _processor.ProcessAsync(Channel, deliveryTag, redelivered, exchange, routingKey, properties, body, handlerToken.Token)
                .ConfigureAwait(false);
        }
        finally
        {
            _inFlight.Exit();
        }
    }

    private Task OnChannelShutdownAsync(object sender, ShutdownEventArgs reason)
    {
        End(Describe(reason));
        return Task.CompletedTask;
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
        bool connectionLost = _connection.State != ConnectionState.Open
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
            await Channel.AbortAsync(CancellationToken.None).ConfigureAwait(false);
            await Channel.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationInterruptedException or IOException or ObjectDisposedException or TimeoutException or OperationCanceledException)
        {
            // Closing a channel whose connection is gone: nothing is left to release on the broker.
            _logger.ChannelCloseFailed(_processor.Name, ex);
        }
    }
}
