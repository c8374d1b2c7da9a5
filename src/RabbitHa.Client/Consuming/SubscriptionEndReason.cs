namespace RabbitHa.Client.Internal.Consuming;

/// <summary>Why a consumer's subscription ended without the application stopping it.</summary>
internal enum SubscriptionEndReason
{
    /// <summary>The connection was lost; RabbitMQ.Client recovers it, the consumer resubscribes once it is open.</summary>
    ConnectionLost = 0,

    /// <summary>The broker closed the channel on a channel-level error (an unknown delivery tag acknowledged, a missing queue).</summary>
    ChannelClosed = 1,

    /// <summary>The broker cancelled the consumer: its queue was deleted, or the master of its mirrored queue moved.</summary>
    CancelledByBroker = 2,

    /// <summary>Opening the channel or subscribing failed (the queue does not exist, the connection dropped meanwhile).</summary>
    SubscribeFailed = 3,
}
