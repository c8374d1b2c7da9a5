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
/// <see cref="RabbitHaPublisherOptions.MaxInFlight"/> wait for their confirms at once, and further callers
/// wait for a free slot. For throughput, publish from many concurrent callers or with
/// <see cref="PublishBatchAsync"/>, not one awaited publish after another.
/// </para>
/// </remarks>
public interface IRabbitHaPublisher
{
    /// <summary>Publishes a message and waits until the broker confirms it.</summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Stops waiting. The message may still reach the broker.</param>
    /// <returns>A task that completes when the broker confirmed the message.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    /// <exception cref="RabbitHaPublishException">The message was returned as unroutable, nacked more often than allowed, rejected by the broker (e.g. no such exchange), or not confirmed within the publish timeout.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The publisher has been disposed.</exception>
    Task PublishAsync(OutgoingMessage message, CancellationToken cancellationToken = default);

    /// <summary>Publishes a body and waits until the broker confirms it.</summary>
    /// <param name="exchange">The exchange; empty for the default exchange (routing key = queue name).</param>
    /// <param name="routingKey">The routing key.</param>
    /// <param name="body">The message body.</param>
    /// <param name="properties">The message properties, or <see langword="null"/>. They are copied, never changed.</param>
    /// <param name="cancellationToken">Stops waiting. The message may still reach the broker.</param>
    /// <returns>A task that completes when the broker confirmed the message.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="exchange"/> or <paramref name="routingKey"/> is null.</exception>
    /// <exception cref="RabbitHaPublishException">See <see cref="PublishAsync(OutgoingMessage, CancellationToken)"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The publisher has been disposed.</exception>
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
    /// <exception cref="RabbitHaPublishException">See <see cref="PublishAsync(OutgoingMessage, CancellationToken)"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The publisher has been disposed.</exception>
    Task PublishAsync<T>(string exchange, string routingKey, T message, BasicProperties? properties = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Publishes messages concurrently (bounded by <see cref="RabbitHaPublisherOptions.MaxInFlight"/>) and waits
    /// until the broker confirmed every one of them.
    /// </summary>
    /// <param name="messages">The messages.</param>
    /// <param name="cancellationToken">Stops waiting. Messages may still reach the broker.</param>
    /// <returns>A task that completes when every message is confirmed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="messages"/> or one of them is null.</exception>
    /// <exception cref="AggregateException">Some messages failed: one <see cref="RabbitHaPublishException"/> (or other exception) per failed message; all the others were confirmed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The publisher has been disposed.</exception>
    Task PublishBatchAsync(IEnumerable<OutgoingMessage> messages, CancellationToken cancellationToken = default);
}
