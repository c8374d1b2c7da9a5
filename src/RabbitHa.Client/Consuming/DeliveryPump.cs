using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitMQ.Client;

namespace RabbitHa.Client.Internal.Consuming;

/// <summary>
/// Takes one subscription's deliveries from RabbitMQ.Client's dispatcher and starts their processing, in order, each
/// once one of the consumer's handler slots is free.
/// </summary>
/// <remarks>
/// The dispatcher's callback only hands the delivery over and returns. RabbitMQ.Client runs a channel's deliveries, the
/// broker's cancellation of its consumer and its shutdown one after the other on the same workers, and waits for those
/// workers when the channel closes. Were the handlers run there, one that never returns would hold back the broker's
/// cancel behind it (until the broker's <c>consumer_timeout</c>), and a channel closed by the broker would stall the
/// whole connection's frame loop while RabbitMQ.Client waits for it.
/// </remarks>
#pragma warning disable CA1001 // _closing is cancelled, never disposed: waits on it may still be unwinding, and a source without a timer holds nothing to release.
internal sealed class DeliveryPump
#pragma warning restore CA1001
{
    /// <summary>How long a delivery waits, without a slot, for a handler of another copy of its message to return.</summary>
    private static readonly TimeSpan s_runningCopyPatience = TimeSpan.FromSeconds(5);

    private readonly Channel<Delivery> _queue = Channel.CreateUnbounded<Delivery>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IChannel _channel;
    private readonly DeliveryProcessor _processor;
    private readonly ILogger _logger;
    private readonly CancellationToken _handlerToken;
    private readonly InFlightTracker _inFlight = new();
    private readonly CancellationTokenSource _closing = new();

    /// <param name="channel">The subscription's channel, where its deliveries are settled.</param>
    /// <param name="processor">The consumer's processor, and with it its handler slots.</param>
    /// <param name="logger">The consumer's logger.</param>
    /// <param name="handlerToken">The subscription's: cancelled when it closes (stopping, or the channel is gone).</param>
    public DeliveryPump(IChannel channel, DeliveryProcessor processor, ILogger logger, CancellationToken handlerToken)
    {
        _channel = channel;
        _processor = processor;
        _logger = logger;
        _handlerToken = handlerToken;
        _ = Task.Run(PumpAsync, CancellationToken.None);
    }

    /// <summary>Gets how many deliveries are being processed (not counting those waiting for a slot).</summary>
    public int InFlight => _inFlight.Count;

    /// <summary>Hands a delivery over.</summary>
    /// <returns><see langword="false"/> once closing: the delivery is left to the broker, which requeues it when the channel closes.</returns>
    public bool Post(Delivery delivery) => _queue.Writer.TryWrite(delivery);

    /// <summary>Starts nothing more: what waits for a slot is left to the broker; what runs goes on.</summary>
    public void StopAccepting()
    {
        _queue.Writer.TryComplete();
        _inFlight.StopAccepting();
        _closing.Cancel();
    }

    /// <summary>Waits until no delivery is being processed.</summary>
    /// <returns><see langword="false"/> if some still are after <paramref name="timeout"/> or when <paramref name="cancellationToken"/> fires.</returns>
    public Task<bool> WaitIdleAsync(TimeSpan timeout, CancellationToken cancellationToken) => _inFlight.WaitIdleAsync(timeout, cancellationToken);

    private async Task PumpAsync()
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(_closing.Token).ConfigureAwait(false))
            {
                while (_queue.Reader.TryRead(out Delivery? delivery))
                {
                    HandlerSlot slot = await _processor.Slots.AcquireAsync(_closing.Token).ConfigureAwait(false);
                    if (_processor.Slots.FindRunning(delivery.MessageId) is { } running)
                    {
                        // One message is never handled twice at once in this process: after a failover the broker redelivers
                        // the message of a handler that is still running (or was abandoned, hung).
                        slot.Release();
                        _ = WaitForRunningCopyAsync(delivery, running);
                        continue;
                    }

                    if (!_inFlight.TryEnter())
                    {
                        slot.Release();
                        return;
                    }

                    _ = ProcessAsync(delivery, slot);
                }
            }
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            // Closing: what was not started is left to the broker, which requeues it when the channel closes.
        }
    }

    private async Task ProcessAsync(Delivery delivery, HandlerSlot slot)
    {
        try
        {
            await _processor.ProcessAsync(_channel, delivery.DeliveryTag, delivery.Redelivered, delivery.Exchange, delivery.RoutingKey,
                delivery.Properties, delivery.Body, _handlerToken, slot).ConfigureAwait(false);
        }
        // The processor settles whatever the handler, the store or the channel do: what still escapes is a bug in RabbitHa
        // (or a logger that throws), logged rather than lost with a task nobody awaits.
        catch (Exception ex)
        {
            _logger.DeliveryProcessingFailed(_processor.Name, delivery.DeliveryTag, delivery.MessageId, ex);
        }
        finally
        {
            slot.Release();
            _inFlight.Exit();
        }
    }

    /// <summary>
    /// Waits, without a slot (a copy of a hung handler's message must not take a second one from the other messages), for
    /// the other copy's handler; handles the delivery in turn if it returns in time, else sends it back to the queue.
    /// </summary>
    private async Task WaitForRunningCopyAsync(Delivery delivery, Task running)
    {
        await running.WaitAsync(s_runningCopyPatience, _closing.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_closing.IsCancellationRequested || (running.IsCompleted && Post(delivery)))
        {
            return;
        }

        await _processor.ReturnRunningCopyAsync(_channel, delivery.DeliveryTag, delivery.MessageId).ConfigureAwait(false);
    }
}
