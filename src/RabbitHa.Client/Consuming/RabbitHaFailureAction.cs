namespace RabbitHa.Client;

/// <summary>What a consumer does with a message whose handler threw.</summary>
public enum RabbitHaFailureAction
{
    /// <summary>
    /// Return the message to the queue (negative acknowledgement with requeue) so that it is delivered
    /// again, until it has been tried <see cref="RabbitHaConsumerOptions.MaxDeliveryAttempts"/> times; then
    /// dead-letter it.
    /// </summary>
    Requeue = 0,

    /// <summary>Dead-letter the message at the first failure (negative acknowledgement without requeue).</summary>
    DeadLetter = 1,
}
