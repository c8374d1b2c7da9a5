using System.Diagnostics;
using RabbitHa.Client.Internal.Diagnostics;

namespace RabbitHa.Client.Internal.Consuming;

/// <summary>
/// The handler's call: on its own task, within <see cref="RabbitHaConsumerOptions.HandlerTimeout"/>, and given up on
/// when it ignores its cancellation. An abandoned handler keeps its slot until it returns, and is watched (logged as
/// hung, again each time its running time doubles) until then.
/// </summary>
internal sealed partial class DeliveryProcessor
{
    private async Task<HandlerResult> RunHandlerAsync(ReadOnlyMemory<byte> body, RabbitHaMessageContext context, ulong deliveryTag, HandlerSlot slot,
        Activity? activity, CancellationToken cancellationToken)
    {
        // Cancelled by the subscription (through the link) or by this method, never by a timer: see HandlerCancellation.
        using var handlerToken = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        long started = _timeProvider.GetTimestamp();

        // On the thread pool even when the handler is synchronous: one that blocks its thread must not block this one,
        // which has to stay free to give up on it.
        Task handler = Task.Run(() => _invoker.InvokeAsync(body, context, handlerToken.Token), CancellationToken.None);
        slot.Run(context.MessageId, deliveryTag, started, handler);

        await handler.WaitAsync(_options.HandlerTimeout, _timeProvider, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        bool timedOut = false;
        if (!handler.IsCompleted)
        {
            timedOut = !cancellationToken.IsCancellationRequested;
            if (timedOut)
            {
                _metrics.HandlerTimedOut(Name);
                await HandlerCancellation.CancelAsync(handlerToken, _logger, Name).ConfigureAwait(false);
            }

            await handler.WaitAsync(_options.CancellationGrace, _timeProvider, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (timedOut)
            {
                RabbitHaTracing.HandlerTimedOut(activity, _options.HandlerTimeout, abandoned: !handler.IsCompleted);
            }

            if (!handler.IsCompleted)
            {
                slot.Abandon();
                TimeSpan ran = _timeProvider.GetElapsedTime(started);
                _ = WatchHungAsync(handler, context.MessageId, deliveryTag, started, timedOut);
                return timedOut
                    ? HandlerResult.Failure(ran, DeadLetterReason.HandlerTimedOut, TimedOut(abandoned: true, inner: null))
                    : new HandlerResult(HandlerOutcome.Cancelled, ran);
            }
        }

        return Result(handler, timedOut, _timeProvider.GetElapsedTime(started), cancellationToken);
    }

    private HandlerResult Result(Task handler, bool timedOut, TimeSpan ran, CancellationToken cancellationToken)
    {
        if (handler.IsCompletedSuccessfully)
        {
            // It finished, even if only once its token was cancelled: the work is done.
            return new HandlerResult(HandlerOutcome.Completed, ran);
        }

        Exception exception = handler.Exception?.InnerException ?? new TaskCanceledException(handler);
        if (exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            return new HandlerResult(HandlerOutcome.Cancelled, ran);
        }

        return exception switch
        {
            // Whatever it threw once its time was up, the time is the reason.
            _ when timedOut => HandlerResult.Failure(ran, DeadLetterReason.HandlerTimedOut, TimedOut(abandoned: false, exception)),
            MessageDeserializationException => HandlerResult.Failure(ran, DeadLetterReason.DeserializationFailed, exception),
            MessageHandlerUnavailableException => HandlerResult.Failure(ran, DeadLetterReason.HandlerUnavailable, exception),
            _ => HandlerResult.Failure(ran, DeadLetterReason.HandlerFailed, exception),
        };
    }

    private TimeoutException TimedOut(bool abandoned, Exception? inner) => new(
        $"The handler ran longer than HandlerTimeout ({_options.HandlerTimeout}) and was cancelled" +
        (abandoned ? $"; it ignored the cancellation for {_options.CancellationGrace} and was abandoned, still running." : "."),
        inner);

    /// <summary>Logs a handler that ignored its cancellation as hung, and again each time its running time doubles, until it returns.</summary>
    private async Task WatchHungAsync(Task handler, string? messageId, ulong deliveryTag, long started, bool timedOut)
    {
        _metrics.HungHandlerAbandoned(Name);
        try
        {
            TimeSpan running = _timeProvider.GetElapsedTime(started);
            _logger.HandlerHung(Name, messageId, deliveryTag, running, Slots.Capacity, Slots.Free,
                timedOut ? "takes the failure path (handler-timed-out)" : "is left to the broker to deliver again");
            while (true)
            {
                TimeSpan wait = running > TimeSpan.Zero ? running : TimeSpan.FromSeconds(1);
                await handler.WaitAsync(wait, _timeProvider, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                running = _timeProvider.GetElapsedTime(started);
                if (handler.IsCompleted)
                {
                    break;
                }

                _logger.HandlerStillHung(Name, messageId, running, Slots.Capacity, Slots.Free);
            }

            // Its message was settled long ago; reading the exception also keeps it from being reported as unobserved.
            _logger.HungHandlerReturned(Name, messageId, running, handler.Exception?.InnerException);
        }
        finally
        {
            _metrics.HungHandlerReturned(Name);
        }
    }

    private enum HandlerOutcome
    {
        Completed = 0,
        Failed = 1,

        /// <summary>Stopping, or the channel is gone: the message goes back unchanged, the attempt does not count.</summary>
        Cancelled = 2,
    }

    private readonly record struct HandlerResult(HandlerOutcome Outcome, TimeSpan Duration, DeadLetterReason Reason = DeadLetterReason.HandlerFailed, Exception? Exception = null)
    {
        public static HandlerResult Failure(TimeSpan duration, DeadLetterReason reason, Exception exception) =>
            new(HandlerOutcome.Failed, duration, reason, exception);
    }
}
