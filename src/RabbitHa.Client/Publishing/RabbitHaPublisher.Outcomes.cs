using Polly.Timeout;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Resilience;

namespace RabbitHa.Client.Internal.Publishing;

/// <summary>
/// The four ways a publish ends: confirmed; <see cref="RabbitHaPublishException"/> with its reason;
/// <see cref="OperationCanceledException"/> for the caller's own token; <see cref="ObjectDisposedException"/> after
/// disposal. Each failure is counted (<c>rabbitha.publish.failed</c>, by reason) and logged once, at Debug: the caller
/// has the exception and decides whether it is an error.
/// </summary>
internal sealed partial class RabbitHaPublisher
{
    /// <summary>Counts the publish among those a stop waits for, unless the publisher is stopping or disposed.</summary>
    private void Admit(PublishAttempt attempt)
    {
        // Counted first, checked after: a stop that begins in between still waits for this publish, or sees it refused.
        Interlocked.Increment(ref _active);
        attempt.Admitted = true;
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_stopping.IsCancellationRequested)
        {
            throw attempt.Fail(RabbitHaPublishFailureReason.Stopped, "the publisher was stopping (the host is shutting down); not sent", null);
        }
    }

    /// <summary>
    /// Gives back what the publish held: its slot, its cancellation, its place among those a stop waits for, and the
    /// attempt itself, to the pool. Called once per publish, last: nothing reads the attempt afterwards.
    /// </summary>
    private void Leave(PublishAttempt attempt)
    {
        if (attempt.HoldsSlot)
        {
            attempt.HoldsSlot = false;
            _window.Exit();
            _metrics.Finished(_connectionName);
        }

        attempt.Dispose();
        if (attempt.Admitted)
        {
            attempt.Admitted = false;
            if (Interlocked.Decrement(ref _active) == 0 && _stopping.IsCancellationRequested)
            {
                _drained.TrySetResult();
            }
        }

        _attempts.Return(attempt);
    }

    /// <summary>
    /// Turns whatever a publish failed with into one of the four outcomes, counts it and logs it. Nothing else
    /// reaches the caller: a raw cancellation from RabbitMQ.Client, a timeout of Polly's or a client-side encoding
    /// error each has its place here.
    /// </summary>
    private Exception Conclude(PublishAttempt attempt, Exception error)
    {
        if (error is RabbitHaPublishException failure)
        {
            return Report(attempt, failure);
        }

        var cancelled = error is OperationCanceledException or TimeoutRejectedException;
        if (cancelled && attempt.CallerToken.IsCancellationRequested)
        {
            _metrics.Cancelled(_connectionName);
            _logger.PublishCancelled(attempt.MessageId, attempt.Sends);
            return Traced(attempt, PublisherMetrics.CancelledReason, error is OperationCanceledException own && own.CancellationToken == attempt.CallerToken
                ? error
                : new OperationCanceledException($"Publishing message '{attempt.MessageId}' was cancelled; it may or may not have reached the broker.", error, attempt.CallerToken));
        }

        if ((cancelled || error is ObjectDisposedException) && Volatile.Read(ref _disposed) != 0)
        {
            _metrics.Abandoned(_connectionName);
            _logger.PublishAbandoned(attempt.MessageId, attempt.Sends);
            return Traced(attempt, PublisherMetrics.DisposedReason, new ObjectDisposedException(
                nameof(RabbitHaPublisher),
                attempt.Sends == 0
                    ? $"The publisher was disposed; message '{attempt.MessageId}' was not sent."
                    : $"The publisher was disposed before message '{attempt.MessageId}' was confirmed; it may or may not have reached the broker."));
        }

        if ((cancelled || error is ObjectDisposedException) && _aborting.IsCancellationRequested)
        {
            Interlocked.Increment(ref _cutOffByStop);
            return Report(attempt, attempt.Fail(
                RabbitHaPublishFailureReason.Stopped,
                $"not confirmed within the stop timeout ({_options.StopTimeout}); it may or may not have reached the broker (last error: {LastError(attempt)})",
                attempt.LastError));
        }

        if (error is ObjectDisposedException closed)
        {
            // The publishing connection was closed under the publisher (by the application, without stopping it first).
            _metrics.Abandoned(_connectionName);
            _logger.PublishAbandoned(attempt.MessageId, attempt.Sends);
            return Traced(attempt, PublisherMetrics.DisposedReason, new ObjectDisposedException($"The publishing connection was closed before message '{attempt.MessageId}' was confirmed; it may or may not have reached the broker.", closed));
        }

        if (cancelled && !attempt.HoldsSlot && _stopping.IsCancellationRequested)
        {
            return Report(attempt, attempt.Fail(RabbitHaPublishFailureReason.Stopped, "the publisher began stopping while it waited for a window slot; not sent", null));
        }

        if (cancelled && !attempt.HoldsSlot)
        {
            return Report(attempt, attempt.Fail(
                RabbitHaPublishFailureReason.TimedOut,
                $"no window slot became free within the publish timeout ({_options.PublishTimeout}; {_window.InFlight} in flight, {_window.Waiting} waiting); not sent",
                null));
        }

        if (cancelled)
        {
            // Only the deadline is left: the caller's token and the publisher's are ruled out above, and a cancellation
            // nobody asked for was made a transient failure where it happened.
            return Report(attempt, attempt.Fail(
                RabbitHaPublishFailureReason.TimedOut,
                $"not confirmed within the publish timeout ({_options.PublishTimeout}; last error: {LastError(attempt)})",
                attempt.LastError ?? error));
        }

        return Report(attempt, attempt.Fail(
            RabbitHaPublishFailureReason.Invalid,
            $"RabbitMQ.Client could not send it ({FailureClassification.DescribeWithType(error)}); not sent again",
            error));
    }

    private RabbitHaPublishException Report(PublishAttempt attempt, RabbitHaPublishException failure)
    {
        string reason = failure.Reason.ToString();
        _metrics.Failed(_connectionName, reason);
        _logger.PublishFailed(reason, attempt.MessageId, attempt.Sends, failure);
        attempt.Failed(reason, failure);
        return failure;
    }

    /// <summary>Records the outcome on the publish's span (<c>error.type</c>: the same reason as on <c>rabbitha.publish.failed</c>).</summary>
    private static Exception Traced(PublishAttempt attempt, string errorType, Exception outcome)
    {
        attempt.Failed(errorType, outcome);
        return outcome;
    }

    private static string LastError(PublishAttempt attempt) =>
        attempt.LastError is { } last ? FailureClassification.DescribeWithType(last) : "none";
}
