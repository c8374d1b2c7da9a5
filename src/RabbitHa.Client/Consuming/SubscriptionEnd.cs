namespace RabbitHa.Client.Internal.Consuming;

/// <summary>How a subscription ended: the reason, the broker's words, and the exception if there was one.</summary>
internal sealed record SubscriptionEnd(SubscriptionEndReason Reason, string Detail, Exception? Exception = null)
{
    /// <summary>Gets the reason as the value of the <see cref="RabbitHaConsumerDiagnostics.ResubscribeReasonTag"/> tag.</summary>
    public string Tag => Reason switch
    {
        SubscriptionEndReason.ConnectionLost => "connection_lost",
        SubscriptionEndReason.ChannelClosed => "channel_closed",
        SubscriptionEndReason.CancelledByBroker => "cancelled_by_broker",
        _ => "subscribe_failed",
    };
}
