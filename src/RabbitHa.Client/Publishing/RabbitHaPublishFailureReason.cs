namespace RabbitHa.Client;

/// <summary>Why a publish failed for good.</summary>
/// <remarks>
/// A failed publish never reaches the caller in another shape: <see cref="IRabbitHaPublisher"/> ends each publish
/// confirmed, with a <see cref="RabbitHaPublishException"/> carrying one of these, with an
/// <see cref="OperationCanceledException"/> for the caller's own token, or with an <see cref="ObjectDisposedException"/>
/// once the publisher has been disposed. <see cref="RabbitHaPublishException.Attempts"/> is 0 when the message was never sent.
/// </remarks>
public enum RabbitHaPublishFailureReason
{
    /// <summary>The message was mandatory and no queue was bound to receive it (basic.return). Not retried.</summary>
    Unroutable,

    /// <summary>The broker nacked the message more often than <see cref="RabbitHaPublisherOptions.MaxNackRetries"/> allows.</summary>
    Nacked,

    /// <summary>
    /// The broker refused the message itself and closed the channel for it: no such exchange (404), access refused
    /// (403), a body over its <c>max_message_size</c> or an invalid property (406). The exception's message quotes the
    /// broker's answer to this message, never to another one that happened to be on the same channel. For a few seconds
    /// after such an answer, messages to the same exchange, or with a body over the size the broker named, fail
    /// this way at once without being sent.
    /// </summary>
    Rejected,

    /// <summary>
    /// The message was not confirmed within <see cref="RabbitHaPublisherOptions.PublishTimeout"/>, which counts from
    /// the call: the wait for a window slot, every send and a blocked connection included. It may or may not have
    /// reached the broker (when <see cref="RabbitHaPublishException.Attempts"/> is 0 it was never sent).
    /// </summary>
    TimedOut,

    /// <summary>
    /// <see cref="RabbitHaPublisherOptions.MaxWaitingPublishes"/> callers were already waiting for a window slot, so
    /// this one failed at once instead of queueing its body in memory. Never sent: back off and publish again.
    /// </summary>
    Overloaded,

    /// <summary>
    /// The host was stopping: the publish started after the stop began or was still waiting for a window slot (never
    /// sent), or it was not confirmed within <see cref="RabbitHaPublisherOptions.StopTimeout"/> (it may or may not have
    /// reached the broker).
    /// </summary>
    Stopped,

    /// <summary>
    /// The message could not be sent as given: the serializer failed, or RabbitMQ.Client refused to encode it (a name
    /// longer than 255 bytes, a header value AMQP has no type for). The inner exception says why. Never sent, not retried.
    /// </summary>
    Invalid,
}
