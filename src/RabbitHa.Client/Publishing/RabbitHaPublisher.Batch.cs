using System.Runtime.ExceptionServices;

namespace RabbitHa.Client.Internal.Publishing;

/// <summary>A batch: the window fed one message after another, every outcome collected, none left running.</summary>
internal sealed partial class RabbitHaPublisher
{
    /// <inheritdoc />
    public Task<RabbitHaBatchPublishResult> PublishBatchAsync(IEnumerable<RabbitHaOutgoingMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var batch = messages.ToArray();
        foreach (var message in batch)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            ArgumentNullException.ThrowIfNull(message.Exchange, nameof(messages));
            ArgumentNullException.ThrowIfNull(message.RoutingKey, nameof(messages));
        }

        return PublishBatchCoreAsync(batch, cancellationToken);
    }

    private async Task<RabbitHaBatchPublishResult> PublishBatchCoreAsync(RabbitHaOutgoingMessage[] batch, CancellationToken cancellationToken)
    {
        var confirmations = new Task?[batch.Length];
        var failures = new RabbitHaPublishException?[batch.Length];

        // Cancellation or disposal: the batch ends with it, once the messages already started have ended.
        Exception? ended = null;

        // The window itself failed a message (no slot in time, too many waiting, stopping): the messages not sent
        // yet would wait for the same window, and fail with it at once instead.
        RabbitHaPublishException? windowFailure = null;
        for (var i = 0; i < batch.Length && ended is null; i++)
        {
            var message = batch[i];
            var attempt = NewAttempt(message.Exchange, message.RoutingKey, message.Body, message.Properties, message.Mandatory, contentType: null, cancellationToken);
            if (windowFailure is not null)
            {
                failures[i] = Report(attempt, attempt.Fail(
                    windowFailure.Reason,
                    $"not sent: message '{windowFailure.MessageId}' before it in the batch failed waiting for the window ({windowFailure.Reason})",
                    null));
                Leave(attempt);
                continue;
            }

            switch (await EnterAsync(attempt).ConfigureAwait(false))
            {
                case null:
                    // Kept until the batch ends: a task, not the pooled ValueTask (see .Sending).
                    confirmations[i] = ConfirmAsync(attempt).AsTask();
                    break;
                case RabbitHaPublishException failure:
                    failures[i] = failure;
                    if (failure.Reason is RabbitHaPublishFailureReason.TimedOut or RabbitHaPublishFailureReason.Overloaded or RabbitHaPublishFailureReason.Stopped)
                    {
                        windowFailure = failure;
                    }

                    break;
                case var other:
                    ended = other;
                    break;
            }
        }

        for (var i = 0; i < confirmations.Length; i++)
        {
            if (confirmations[i] is not { } confirmation)
            {
                continue;
            }

            try
            {
                await confirmation.ConfigureAwait(false);
            }
            catch (RabbitHaPublishException failure)
            {
                failures[i] = failure;
            }
            catch (Exception error) when (error is OperationCanceledException or ObjectDisposedException)
            {
                ended ??= error;
            }
        }

        if (ended is not null)
        {
            ExceptionDispatchInfo.Throw(ended);
        }

        var outcomes = new RabbitHaBatchPublishOutcome[batch.Length];
        for (var i = 0; i < batch.Length; i++)
        {
            outcomes[i] = new RabbitHaBatchPublishOutcome(i, batch[i], failures[i]);
        }

        return new RabbitHaBatchPublishResult(outcomes);
    }
}
