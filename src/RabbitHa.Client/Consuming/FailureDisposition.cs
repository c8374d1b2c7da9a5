namespace RabbitHa.Client.Internal.Consuming;

/// <summary>What becomes of a message whose handling failed.</summary>
internal enum FailureDisposition
{
    /// <summary>
    /// Tried again: returned to the queue where the broker counts deliveries, otherwise published again to the
    /// queue with its count of failed attempts.
    /// </summary>
    Requeue = 0,

    /// <summary>Given up on: handled as <see cref="RabbitHaConsumerOptions.DeadLetterStrategy"/> says.</summary>
    DeadLetter = 1,
}
