namespace RabbitHa.Client;

/// <summary>
/// Where a consumer puts a message it gives up on: one that failed <see cref="RabbitHaConsumerOptions.MaxDeliveryAttempts"/>
/// times, failed with <see cref="RabbitHaFailureAction.DeadLetter"/>, or whose body cannot be deserialized.
/// </summary>
public enum RabbitHaDeadLetterStrategy
{
    /// <summary>
    /// Publish a copy to <see cref="RabbitHaConsumerOptions.DeadLetterQueue"/>, wait for the broker's confirm, then
    /// acknowledge the original. The copy keeps the body and the properties and adds headers that say why and
    /// where from (<see cref="RabbitHaHeaders.DeadLetterReason"/> and the others). If the copy cannot be published
    /// or confirmed, the original goes back to its queue and is dead-lettered again on its next delivery: nothing
    /// is lost, but a confirm lost with the connection can leave two copies in the dead-letter queue.
    /// </summary>
    /// <remarks>
    /// The copy is published on the publishing connection, never the consumer's own, so that a resource alarm
    /// cannot block the consumer's acknowledgements. It is persistent, and it leaves out <c>expiration</c> (the
    /// copy would expire in the dead-letter queue; the broker's own dead-lettering removes it too) and
    /// <c>user_id</c> (the broker checks it against the publishing connection's user and would refuse the copy).
    /// </remarks>
    Queue = 0,

    /// <summary>
    /// Reject the message without requeue (<c>basic.nack</c>, requeue false) and let the broker dead-letter it
    /// through the queue's own <c>x-dead-letter-exchange</c> argument or policy. Without one, the broker drops
    /// the message: choose this only for queues that have one.
    /// </summary>
    Broker = 1,

    /// <summary>
    /// Acknowledge the message and drop it. Each one is logged as a warning naming the consumer, the queue, the
    /// message id and the reason, and counted (<see cref="RabbitHaConsumerDiagnostics.DiscardedInstrument"/>).
    /// </summary>
    Discard = 2,
}
