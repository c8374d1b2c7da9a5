using RabbitMQ.Client;

namespace RabbitHa.Client;

/// <summary>
/// Publishes messages with publisher confirms and returns only once the cluster has confirmed them:
/// stored on every mirror of a classic mirrored queue, or on a majority of a quorum queue's members.
/// </summary>
/// <remarks>
/// <para>
/// A publish that is not confirmed because the connection was lost, its confirm did not arrive in time or the
/// broker nacked it, is sent again on the recovered channel with the same message id, until
/// <see cref="RabbitHaPublisherOptions.PublishTimeout"/>. The caller sees no exception from a failover, only
/// a pause. A re-sent message carries the header <see cref="RabbitHaHeaders.Resent"/>: the broker may hold an
/// earlier copy, so consumers should drop duplicates by message id (at-least-once delivery).
/// </para>
/// <para>
/// Thread-safe. Publishes from many callers are pipelined on one channel; at most
/// <see cref="RabbitHaPublisherOptions.MaxInFlight"/> wait for their confirms at once, up to
/// <see cref="RabbitHaPublisherOptions.MaxWaitingPublishes"/> further callers wait for a free slot, and beyond that a
/// publish fails at once (<see cref="RabbitHaPublishFailureReason.Overloaded"/>). For throughput, publish from many concurrent
/// callers or with <see cref="PublishBatchAsync"/>, not one awaited publish after another.
/// </para>
/// <para>
/// Every publish ends in exactly one of four ways: it completes once confirmed; it fails with
/// <see cref="RabbitHaPublishException"/> and its <see cref="RabbitHaPublishException.Reason"/>; it throws
/// <see cref="OperationCanceledException"/> for the caller's own token; or it throws <see cref="ObjectDisposedException"/>
/// once the publisher has been disposed. <see cref="RabbitHaPublisherOptions.PublishTimeout"/> counts from the call.
/// A message the broker refuses (no such exchange, a body over its maximum) fails alone: the other messages it takes
/// down with the shared channel are sent again. When the host stops, publishes in flight get
/// <see cref="RabbitHaPublisherOptions.StopTimeout"/> to be confirmed, and new ones fail with
/// <see cref="RabbitHaPublishFailureReason.Stopped"/>.
/// </para>
/// </remarks>
public interface IRabbitHaPublisher
{
    /// <summary>Publishes a message and waits until the broker confirms it.</summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Stops waiting. The message may still reach the broker.</param>
    /// <returns>A task that completes when the broker confirmed the message.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    /// <exception cref="RabbitHaPublishException">The message was returned as unroutable, nacked more often than allowed, refused by the broker (e.g. no such exchange), not confirmed within the publish timeout, turned away because too many callers were waiting, cut off by the host's stop, or could not be encoded; <see cref="RabbitHaPublishException.Reason"/> says which. The returned task faults; nothing is thrown synchronously but argument errors.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The publisher, or the publishing connection under it, has been disposed.</exception>
    Task PublishAsync(RabbitHaOutgoingMessage message, CancellationToken cancellationToken = default);

    /// <summary>Publishes a body and waits until the broker confirms it.</summary>
    /// <param name="exchange">The exchange; empty for the default exchange (routing key = queue name).</param>
    /// <param name="routingKey">The routing key.</param>
    /// <param name="body">The message body.</param>
    /// <param name="properties">The message properties, or <see langword="null"/>. They are copied, never changed.</param>
    /// <param name="cancellationToken">Stops waiting. The message may still reach the broker.</param>
    /// <returns>A task that completes when the broker confirmed the message.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="exchange"/> or <paramref name="routingKey"/> is null.</exception>
    /// <exception cref="RabbitHaPublishException">See <see cref="PublishAsync(RabbitHaOutgoingMessage, CancellationToken)"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The publisher, or the publishing connection under it, has been disposed.</exception>
    Task PublishAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, BasicProperties? properties = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Serializes a message with the registered <see cref="IRabbitHaSerializer"/>, publishes it and waits until the
    /// broker confirms it. A <see cref="byte"/> array or <see cref="ReadOnlyMemory{T}"/> of bytes is published as the body, unserialized.
    /// </summary>
    /// <typeparam name="T">The message type.</typeparam>
    /// <param name="exchange">The exchange; empty for the default exchange (routing key = queue name).</param>
    /// <param name="routingKey">The routing key.</param>
    /// <param name="message">The message.</param>
    /// <param name="properties">The message properties, or <see langword="null"/>; <c>content_type</c> is set from the serializer unless given.</param>
    /// <param name="cancellationToken">Stops waiting. The message may still reach the broker.</param>
    /// <returns>A task that completes when the broker confirmed the message.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="exchange"/> or <paramref name="routingKey"/> is null.</exception>
    /// <exception cref="RabbitHaPublishException">See <see cref="PublishAsync(RabbitHaOutgoingMessage, CancellationToken)"/>; a serializer that throws fails the task with <see cref="RabbitHaPublishFailureReason.Invalid"/> (the serializer's exception inside).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The publisher, or the publishing connection under it, has been disposed.</exception>
    Task PublishAsync<T>(string exchange, string routingKey, T message, BasicProperties? properties = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Publishes messages concurrently (bounded by <see cref="RabbitHaPublisherOptions.MaxInFlight"/>) and waits until
    /// each one is confirmed or has failed; the result says which.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The batch takes window slots one message after another, as one waiting caller, so a large batch does not count
    /// against <see cref="RabbitHaPublisherOptions.MaxWaitingPublishes"/> message by message. Each message's
    /// <see cref="RabbitHaPublisherOptions.PublishTimeout"/> starts when the batch reaches it. When no slot frees up
    /// within that time, or too many callers wait, or the host stops, the messages not yet sent fail with the same
    /// reason, unsent.
    /// </para>
    /// <para>
    /// The default implementation publishes every message with <see cref="PublishAsync(RabbitHaOutgoingMessage, CancellationToken)"/>
    /// at once and collects the outcomes; RabbitHa's own publisher feeds the window instead.
    /// </para>
    /// </remarks>
    /// <param name="messages">The messages.</param>
    /// <param name="cancellationToken">Stops waiting. Messages may still reach the broker.</param>
    /// <returns>One outcome per message, in order: confirmed, or the <see cref="RabbitHaPublishException"/> it failed with.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="messages"/> or one of them is null.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; thrown once every message already started has ended, so none goes on unobserved.</exception>
    /// <exception cref="ObjectDisposedException">The publisher has been disposed; thrown once every message already started has ended.</exception>
    Task<RabbitHaBatchPublishResult> PublishBatchAsync(IEnumerable<RabbitHaOutgoingMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var batch = messages.ToArray();
        foreach (var message in batch)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
        }

        return PublishEachAsync(this, batch, cancellationToken);
    }

    private static async Task<RabbitHaBatchPublishResult> PublishEachAsync(IRabbitHaPublisher publisher, RabbitHaOutgoingMessage[] batch, CancellationToken cancellationToken)
    {
        var publishes = new Task[batch.Length];
        for (var i = 0; i < batch.Length; i++)
        {
            publishes[i] = publisher.PublishAsync(batch[i], cancellationToken);
        }

        // Every publish ends before the batch does, whatever it ends with; the outcomes are read from the tasks below.
        await Task.WhenAll(publishes).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var outcomes = new RabbitHaBatchPublishOutcome[batch.Length];
        for (var i = 0; i < batch.Length; i++)
        {
            if (publishes[i].IsCanceled || publishes[i].Exception?.InnerException is { } and not RabbitHaPublishException)
            {
                // Cancellation, disposal, or an implementation's own error: the batch as a whole ends with it.
                await publishes[i].ConfigureAwait(false);
            }

            outcomes[i] = new RabbitHaBatchPublishOutcome(i, batch[i], publishes[i].Exception?.InnerException as RabbitHaPublishException);
        }

        return new RabbitHaBatchPublishResult(outcomes);
    }
}
