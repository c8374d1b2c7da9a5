namespace RabbitHa.Client;

/// <summary>Which attempt a delivery is, and what a failure of that attempt leads to.</summary>
internal static class DeliveryAttempts
{
    /// <summary>The attempt a delivery is, from 1.</summary>
    /// <param name="brokerDeliveryCount">
    /// The quorum queue's <c>x-delivery-count</c> header (earlier deliveries that were returned), or
    /// <see langword="null"/> when the queue does not count (classic queues, or a quorum queue's first delivery).
    /// </param>
    /// <param name="failuresSeen">How often this process saw the message fail.</param>
    /// <param name="redelivered">The broker's redelivered flag.</param>
    public static int Current(long? brokerDeliveryCount, int failuresSeen, bool redelivered)
    {
        if (brokerDeliveryCount is { } returned && returned >= 0)
        {
            return returned >= int.MaxValue - 1 ? int.MaxValue : (int)returned + 1;
        }

        // The flag only says "at least once before": the earlier attempt may have failed in another process
        // (which counted it there) or been interrupted by a connection loss.
        int counted = failuresSeen >= int.MaxValue - 1 ? int.MaxValue : failuresSeen + 1;
        return redelivered ? Math.Max(counted, 2) : counted;
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
}
