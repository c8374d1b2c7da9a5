using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Resilience;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Internal.Publishing;

/// <summary>The way from a call to a confirm: a window slot, the first send, the retries.</summary>
/// <remarks>
/// The steps below the caller's task return <see cref="ValueTask"/>s built by
/// <see cref="PoolingAsyncValueTaskMethodBuilder"/>: a step that waits (every send waits for its confirm) reuses a
/// state machine a step of the same kind finished with, instead of allocating one per publish (120-180 bytes each:
/// 430 of the 945 bytes per message the publisher allocated beyond the raw client, measured without a broker). It is
/// safe because each of those <see cref="ValueTask"/>s is consumed exactly once, right away, by its one caller (an
/// <c>await</c>, Polly's await of its callback, or the batch's <see cref="ValueTask.AsTask"/>): none is stored,
/// awaited twice or read after it was awaited, which is what a pooled one forbids. The caller's own task is the one
/// state machine a publish allocates.
/// </remarks>
internal sealed partial class RabbitHaPublisher
{
    // A message on this many channels the broker closed without naming what it refused is sent alone: the first
    // closure is most often another message's doing, a second one while it is in flight again is worth settling.
    private const int IsolateAfterUnexplainedClosures = 2;

    // Less than this left of the deadline, a cancellation is taken for the deadline's own (its timer may fire a little early).
    private static readonly TimeSpan UnaskedCancellationMargin = TimeSpan.FromMilliseconds(50);

    private async Task PublishCoreAsync(PublishAttempt attempt)
    {
        if (await EnterAsync(attempt).ConfigureAwait(false) is { } refused)
        {
            ExceptionDispatchInfo.Throw(refused);
        }

        await ConfirmAsync(attempt).ConfigureAwait(false);
    }

    /// <summary>Admits the publish and takes a window slot for it, within its deadline.</summary>
    /// <returns><see langword="null"/> once the publish holds a slot; otherwise what it ended with (reported, and left).</returns>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Exception?> EnterAsync(PublishAttempt attempt)
    {
        try
        {
            Admit(attempt);
            if (_rejections.Explain(attempt.Exchange, attempt.Body.Length) is { } known)
            {
                throw attempt.Fail(RabbitHaPublishFailureReason.Rejected, known, null);
            }

            if (!_window.TryEnter())
            {
                await WaitForSlotAsync(attempt).ConfigureAwait(false);
            }

            attempt.HoldsSlot = true;
            _metrics.Started(_connectionName);
            return null;
        }
        catch (Exception error)
        {
            // Every way out of here becomes one of the four outcomes (see Conclude), handed back to be thrown.
            var outcome = Conclude(attempt, error);
            Leave(attempt);
            return outcome;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WaitForSlotAsync(PublishAttempt attempt)
    {
        var cancellation = attempt.Cancellation;
        cancellation.Limit(Remaining(attempt), isDeadline: true);
        bool entered;

        // A stop fails the callers still waiting at once; those holding a slot get StopTimeout.
        using (cancellation.Also(_stopping.Token))
        {
            entered = await _window.EnterAsync(cancellation.Token).ConfigureAwait(false);
        }

        if (!entered)
        {
            throw attempt.Fail(
                RabbitHaPublishFailureReason.Overloaded,
                $"{_options.MaxWaitingPublishes} callers were already waiting for one of the {_options.MaxInFlight} window slots (MaxWaitingPublishes); not sent",
                null);
        }
    }

    /// <summary>The rest of a publish that holds a slot: sends until confirmed, then gives the slot back.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ConfirmAsync(PublishAttempt attempt)
    {
        try
        {
            await SendUntilConfirmedAsync(attempt).ConfigureAwait(false);
            _metrics.Confirmed(_connectionName, attempt.Elapsed);
        }
        catch (Exception error)
        {
            // Every way out of here becomes one of the four outcomes (see Conclude).
            var outcome = Conclude(attempt, error);
            if (ReferenceEquals(outcome, error))
            {
                throw;
            }

            throw outcome;
        }
        finally
        {
            Leave(attempt);
        }
    }

    /// <summary>
    /// The first send runs outside the retry pipeline. Nearly every publish is confirmed at its first send, and the
    /// pipeline's strategies cost about as much CPU and memory per message as the rest of the publish (the benchmark
    /// showed 2.2 kB more allocated per message than the raw client with them, on a machine whose two cores the
    /// brokers share). The first send is limited by its confirm timeout or by the deadline, whichever comes sooner;
    /// a failure worth sending again hands the message to the pipeline, within what is left of the deadline.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendUntilConfirmedAsync(PublishAttempt attempt)
    {
        var cancellation = attempt.Cancellation;
        var remaining = Remaining(attempt);
        if (remaining <= TimeSpan.Zero)
        {
            // The slot came at the deadline: not worth a send that could only be cut off.
            throw attempt.Fail(RabbitHaPublishFailureReason.TimedOut, $"a window slot became free only at the end of the publish timeout ({_options.PublishTimeout}); not sent", null);
        }

        var confirmTimeoutFirst = _options.ConfirmTimeout < remaining;
        cancellation.Limit(confirmTimeoutFirst ? _options.ConfirmTimeout : remaining, isDeadline: !confirmTimeoutFirst);
        try
        {
            await SendAsync(attempt, cancellation.Token).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (cancellation.LimitReached && !cancellation.LimitIsDeadline)
        {
            attempt.LastError = new TimeoutRejectedException($"No confirm within the confirm timeout ({_options.ConfirmTimeout}).");
        }
        catch (Exception retriable) when (FailureClassification.IsRetriableSendFailure(retriable))
        {
            // SendAsync kept it as the last error; the pipeline sends again.
        }

        // The pipeline's first execution is this message's second send: Polly's OnRetry counts only the ones after it.
        _metrics.Retried(_connectionName);
        while (true)
        {
            // A limit that fired is replaced by a new source here: each round has the deadline, and nothing else, as its limit.
            cancellation.Limit(Remaining(attempt), isDeadline: true);
            var context = ResilienceContextPool.Shared.Get(cancellation.Token);
            try
            {
                context.Properties.Set(PublishRetryPipeline.Attempt, attempt);
                await _pipeline.ExecuteAsync(static (context, attempt) => attempt.Publisher.SendAsync(attempt, context.CancellationToken), context, attempt)
                    .ConfigureAwait(false);
                return;
            }
            catch (Exception cut) when (cut is OperationCanceledException or TimeoutRejectedException && IsUnaskedCancellation(attempt))
            {
                // Seen once in CI (the README's first test, a publish failed "not confirmed within the publish timeout" 31 s
                // into a 2 min PublishTimeout, after 2 sends): the retries stopped as if the deadline had passed. Whatever
                // cancelled them, it was not the caller, the publisher or the deadline, so the publish goes on: the deadline
                // an option promises is the whole deadline. Logged with what is known, to find the cause.
                _logger.PublishCancelledUnasked(attempt.MessageId, attempt.Sends, Remaining(attempt), FailureClassification.DescribeWithType(cut), cancellation.LimitIsDeadline);
                attempt.LastError ??= cut;

                // Not in a tight loop, should the cause repeat at once; the retries' own backoff starts over on the next round.
                TimeSpan pause = TimeSpan.FromTicks(Math.Min(_options.MaxRetryDelay.Ticks, Remaining(attempt).Ticks));
                if (pause > TimeSpan.Zero)
                {
                    await Task.Delay(pause, attempt.CallerToken).ConfigureAwait(false);
                }
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }
    }

    /// <summary>Whether a publish was cancelled by nobody entitled to: not its caller, not the publisher's stop or disposal, not its deadline.</summary>
    private bool IsUnaskedCancellation(PublishAttempt attempt) =>
        !attempt.CallerToken.IsCancellationRequested
        && !_aborting.IsCancellationRequested
        && Volatile.Read(ref _disposed) == 0
        && Remaining(attempt) > UnaskedCancellationMargin;

    /// <summary>One send of the message and the wait for its confirm.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAsync(PublishAttempt attempt, CancellationToken cancellationToken)
    {
        // Checked before every send, not only at the call: what another message learned meanwhile counts too.
        if (_rejections.Explain(attempt.Exchange, attempt.Body.Length) is { } known)
        {
            throw attempt.Fail(RabbitHaPublishFailureReason.Rejected, known, attempt.LastError);
        }

        attempt.StartSend();
        if (attempt.Activity is { } span)
        {
            // The publish's span is the parent of what this send does: RabbitMQ.Client's own span for it, when its source
            // has listeners. Set here, in this method's own flow, not the caller's.
            Activity.Current = span;
        }

        await _unblocked.WaitAsync(cancellationToken).ConfigureAwait(false);
        var isolated = attempt.Isolated;
        IChannel? channel = null;
        try
        {
            channel = isolated
                ? await _isolation.EnterAsync(cancellationToken).ConfigureAwait(false)
                : await _channel.GetAsync(cancellationToken).ConfigureAwait(false);

            // With confirm tracking on, this completes when the broker acks the message and throws on nack or return.
            await channel.BasicPublishAsync(attempt.Exchange, attempt.RoutingKey, attempt.Mandatory, attempt.Properties, attempt.Body, cancellationToken)
                .ConfigureAwait(false);
            if (!isolated)
            {
                _channel.NoteAck(channel);
            }
        }
        catch (PublishReturnException returned)
        {
            throw attempt.Fail(RabbitHaPublishFailureReason.Unroutable, $"returned by the broker: {returned.ReplyCode} {returned.ReplyText}", returned);
        }
        catch (PublishException nacked) when (!nacked.IsReturn)
        {
            attempt.LastError = nacked;
            _metrics.Nacked(_connectionName);
            if (!isolated && channel is not null)
            {
                await _channel.NoteNackAsync(channel).ConfigureAwait(false);
            }

            if (++attempt.Nacks > _options.MaxNackRetries)
            {
                throw attempt.Fail(RabbitHaPublishFailureReason.Nacked, $"nacked by the broker {attempt.Nacks} time(s)", nacked);
            }

            throw;
        }
        catch (OperationInterruptedException closed) when (FailureClassification.IsPublishRejection(closed))
        {
            var culprit = Judge(attempt, closed, isolated);
            if (culprit is null)
            {
                throw;
            }

            throw culprit;
        }
        catch (OperationCanceledException unasked) when (!cancellationToken.IsCancellationRequested)
        {
            // Nobody asked for this one: RabbitMQ.Client cancels its own wait for channel.open or confirm.select after
            // its continuation timeout (its timeout handler sets the task cancelled before it can set a TimeoutException).
            var timedOut = new TimeoutException($"RabbitMQ.Client gave up waiting for the broker ({unasked.GetType().Name}: {unasked.Message}).", unasked);
            attempt.LastError = timedOut;
            throw timedOut;
        }
        catch (ObjectDisposedException released) when (channel is { IsOpen: false } && Volatile.Read(ref _disposed) == 0)
        {
            // The broker closed the channel and another publish released it between this one's GetAsync and its send:
            // the message never reached that channel, and goes on the next one.
            var lost = new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Library, Constants.ReplySuccess, "The publishing channel was released before the message was sent on it.", cause: released));
            attempt.LastError = lost;
            throw lost;
        }
        catch (Exception transient) when (FailureClassification.IsTransientSendFailure(transient))
        {
            attempt.LastError = transient;
            throw;
        }
        finally
        {
            if (isolated && channel is not null)
            {
                _isolation.Exit();
            }
        }
    }

    /// <summary>
    /// Decides, for one message on a channel the broker closed because of a publish, whether it is the cause.
    /// </summary>
    /// <returns>The message's own failure when it is to blame; <see langword="null"/> when it is to be sent again.</returns>
    private RabbitHaPublishException? Judge(PublishAttempt attempt, OperationInterruptedException closed, bool isolated)
    {
        attempt.LastError = closed;
        var rejection = ChannelRejection.Read(closed.ShutdownReason!);
        _rejections.Learn(rejection);

        // Alone on its channel, nothing but the message itself can have closed it.
        var verdict = isolated ? RejectionVerdict.Culprit : rejection.Judge(attempt);
        switch (verdict)
        {
            case RejectionVerdict.Culprit:
                return attempt.Fail(RabbitHaPublishFailureReason.Rejected, $"the broker closed the channel because of it: {rejection.Describe()}", closed);
            case RejectionVerdict.Unexplained when ++attempt.UnexplainedClosures >= IsolateAfterUnexplainedClosures:
                attempt.Isolated = true;
                _logger.PublishIsolated(attempt.MessageId, attempt.UnexplainedClosures);
                return null;
            default:
                // Another message's doing: sent again, and it does not count against this one.
                return null;
        }
    }

    private ValueTask OnRetry(OnRetryArguments<object> args)
    {
        _metrics.Retried(_connectionName);
        if (args.Outcome.Exception is { } error)
        {
            if (args.Context.Properties.TryGetValue(PublishRetryPipeline.Attempt, out var attempt))
            {
                attempt.LastError = error;
            }

            if (_logger.IsEnabled(LogLevel.Debug))
            {
                _logger.PublishRetrying(args.AttemptNumber + 1, args.RetryDelay, FailureClassification.DescribeWithType(error), _connection.State.ToString());
            }
        }

        return default;
    }

    private TimeSpan Remaining(PublishAttempt attempt) => _options.PublishTimeout - attempt.Elapsed;
}
