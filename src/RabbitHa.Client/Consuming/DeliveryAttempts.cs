namespace RabbitHa.Client.Internal.Consuming;

/// <summary>Which attempt a delivery is, and what a failure of that attempt leads to.</summary>
internal static class DeliveryAttempts
{
    /// <summary>The attempt a delivery is, from 1: the highest that any of the counts says.</summary>
    /// <param name="brokerDeliveryCount">
    /// The quorum queue's <see cref="RabbitHaHeaders.DeliveryCount"/> header (earlier deliveries that were returned), or
    /// <see langword="null"/> when the queue does not count (classic queues, or a quorum queue's first delivery).
    /// </param>
    /// <param name="failedAttempts">
    /// The <see cref="RabbitHaHeaders.ConsumerDeliveryCount"/> header: the attempts that failed before a consumer sent
    /// the message back to its queue, or <see langword="null"/> when it never did.
    /// </param>
    /// <param name="redelivered">The broker's redelivered flag.</param>
    public static int Current(long? brokerDeliveryCount, long? failedAttempts, bool redelivered)
    {
        // The flag only says "at least once before": the earlier attempt may have failed, or been interrupted by a
        // connection loss before any count could be written.
        int attempt = redelivered ? 2 : 1;
        if (brokerDeliveryCount is { } returned && returned >= 0)
        {
            attempt = Math.Max(attempt, Next(returned));
        }

        if (failedAttempts is { } failed && failed >= 0)
        {
            attempt = Math.Max(attempt, Next(failed));
        }

        return attempt;
    }

    /// <summary>What a failed attempt leads to.</summary>
    /// <param name="attempt">The attempt that failed, from 1.</param>
    /// <param name="maxAttempts">The consumer's <see cref="RabbitHaConsumerOptions.MaxDeliveryAttempts"/>.</param>
    /// <param name="action">The consumer's <see cref="RabbitHaConsumerOptions.FailureAction"/>.</param>
    /// <param name="retriable"><see langword="false"/> when trying again cannot help (the body cannot be deserialized).</param>
    public static FailureDisposition Decide(int attempt, int maxAttempts, RabbitHaFailureAction action, bool retriable) =>
        !retriable || action == RabbitHaFailureAction.DeadLetter || attempt >= maxAttempts
            ? FailureDisposition.DeadLetter
            : FailureDisposition.Requeue;

    private static int Next(long count) => count >= int.MaxValue - 1 ? int.MaxValue : (int)count + 1;
}
