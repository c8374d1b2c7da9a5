namespace RabbitHa.Client;

/// <summary>
/// Remembers which messages have been handled, by message id, so that a consumer with
/// <see cref="RabbitHaConsumerOptions.DeduplicateByMessageId"/> drops copies it has already handled.
/// </summary>
/// <remarks>
/// <para>
/// The default, <see cref="InMemoryRabbitHaDeduplicationStore"/>, remembers a bounded window of recent
/// message ids in the process. Consumers on the same queue in several processes only deduplicate across
/// processes when they share a store: register an implementation backed by a shared database or cache as a
/// singleton <see cref="IRabbitHaDeduplicationStore"/> before <c>AddConsumer</c>.
/// </para>
/// <para>
/// Ids are scoped: the consumer passes its queue name, so that the same message routed to two queues is
/// handled once on each. A claim is always followed by <see cref="MarkHandledAsync"/> (the handler
/// succeeded) or <see cref="ReleaseAsync"/> (it failed or was cancelled), unless the process dies; a shared
/// store should therefore let claims expire.
/// </para>
/// <para>Implementations must be safe to call concurrently.</para>
/// <para>
/// A store that fails or is slow never loses a message nor stops the consumer. Each call runs on its own task (a store
/// that blocks its thread is fine) and may take <see cref="RabbitHaConsumerOptions.DeduplicationStoreTimeout"/> (5 seconds
/// by default); then its token is cancelled, the consumer stops waiting for it, and it counts as failed. What a failure
/// costs, logged as an error each time:
/// </para>
/// <list type="bullet">
/// <item><description><see cref="TryClaimAsync"/>: the message goes back to its queue unhandled after a pause of 1 second
/// (not counted as an attempt; a quorum queue counts the return as a delivery). A claim the store grants after the timeout
/// is released.</description></item>
/// <item><description><see cref="MarkHandledAsync"/>: the message is acknowledged all the same; a later copy of it may be
/// handled again.</description></item>
/// <item><description><see cref="ReleaseAsync"/>: the failed message is retried or dead-lettered all the same; its claim
/// stays until the store lets it expire, and meanwhile its copies are returned to the queue as in progress.</description></item>
/// </list>
/// </remarks>
public interface IRabbitHaDeduplicationStore
{
    /// <summary>Claims a message for handling, unless it has been handled or is being handled.</summary>
    /// <param name="scope">The scope of the id: the consumer's queue name.</param>
    /// <param name="messageId">The message id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether the caller may handle the message.</returns>
    ValueTask<RabbitHaDeduplicationResult> TryClaimAsync(string scope, string messageId, CancellationToken cancellationToken);

    /// <summary>Records a claimed message as handled and ends the claim.</summary>
    /// <param name="scope">The scope of the id: the consumer's queue name.</param>
    /// <param name="messageId">The message id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the message is recorded.</returns>
    ValueTask MarkHandledAsync(string scope, string messageId, CancellationToken cancellationToken);

    /// <summary>Ends a claim without recording the message as handled, so that a later copy is handled.</summary>
    /// <param name="scope">The scope of the id: the consumer's queue name.</param>
    /// <param name="messageId">The message id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the claim is released.</returns>
    ValueTask ReleaseAsync(string scope, string messageId, CancellationToken cancellationToken);
}
