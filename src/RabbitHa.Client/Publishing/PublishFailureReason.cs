namespace RabbitHa.Client;

/// <summary>Why a publish failed for good.</summary>
public enum PublishFailureReason
{
    /// <summary>The message was mandatory and no queue was bound to receive it (basic.return). Not retried.</summary>
    Unroutable,

    /// <summary>The broker nacked the message more often than <see cref="RabbitHaPublisherOptions.MaxNackRetries"/> allows.</summary>
    Nacked,

    /// <summary>The broker closed the channel because of the publish itself (e.g. 404 NOT_FOUND: no such exchange; 403 ACCESS_REFUSED).</summary>
    Rejected,

    /// <summary>The message was not confirmed within <see cref="RabbitHaPublisherOptions.PublishTimeout"/>, across every retry.</summary>
    TimedOut,
}
