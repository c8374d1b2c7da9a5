namespace RabbitHa.Client;

/// <summary>What a consumer does with a message whose handler threw.</summary>
public enum RabbitHaFailureAction
{
    /// <summary>
    /// Deliver the message again, after <see cref="RabbitHaConsumerOptions.RequeueDelay"/>, until it has been tried
    /// <see cref="RabbitHaConsumerOptions.MaxDeliveryAttempts"/> times; then dead-letter it as
    /// <see cref="RabbitHaConsumerOptions.DeadLetterStrategy"/> says (by default, into the consumer's dead-letter queue).
    /// </summary>
    Requeue = 0,

    /// <summary>Dead-letter the message at the first failure, as <see cref="RabbitHaConsumerOptions.DeadLetterStrategy"/> says.</summary>
    DeadLetter = 1,
}
