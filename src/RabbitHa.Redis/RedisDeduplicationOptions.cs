using RabbitHa.Client;

namespace RabbitHa.Redis;

/// <summary>
/// Options of <see cref="RedisRabbitHaDeduplicationStore"/>: where Redis is, how its keys are named, how long claims and
/// records live, and what happens while Redis is away. Bound from <c>RabbitHa:Redis</c> by
/// <c>AddRedisDeduplication(configuration)</c>, or set in code; validated when the host starts.
/// </summary>
public sealed class RedisDeduplicationOptions
{
    /// <summary>The configuration section under <c>RabbitHa</c> these options are bound from by default: <c>"Redis"</c>.</summary>
    public const string SectionName = "Redis";

    /// <summary>The default <see cref="KeyPrefix"/>: <c>"rabbitha:dedupe:"</c>.</summary>
    public const string DefaultKeyPrefix = "rabbitha:dedupe:";

    /// <summary>
    /// Gets or sets the StackExchange.Redis configuration string, such as <c>"redis1:6379,redis2:6379,password=...,ssl=true"</c>.
    /// </summary>
    /// <value>
    /// The default is <see langword="null"/>: the store uses the <c>StackExchange.Redis.IConnectionMultiplexer</c> registered
    /// in the service collection (one of the two is required).
    /// </value>
    /// <remarks>
    /// With a configuration string the store opens a connection of its own when it is first used, and closes it when it is
    /// disposed. It starts even while Redis is down (<c>abortConnect</c> is always false) and reconnects by itself. The
    /// password is never logged: logs and validation messages name the endpoints only.
    /// </remarks>
    public string? Configuration { get; set; }

    /// <summary>Gets or sets the prefix of every key the store writes.</summary>
    /// <value>The default is <see cref="DefaultKeyPrefix"/>. Must not be empty, at most 256 characters.</value>
    /// <remarks>
    /// One key per scope (the consumer's queue) and message id: <c>&lt;prefix&gt;&lt;scope&gt;:&lt;message id&gt;</c>, with
    /// <c>:</c> and <c>\</c> in the scope escaped by <c>\</c>, such as <c>rabbitha:dedupe:orders:42</c>. Its value is
    /// <c>claimed:&lt;owner&gt;</c> while a handler runs, then <c>handled</c>. Give each application (or environment) sharing
    /// one Redis a prefix of its own.
    /// </remarks>
    public string KeyPrefix { get; set; } = DefaultKeyPrefix;

    /// <summary>Gets or sets how long a claim lives when its handler's process dies before marking or releasing it.</summary>
    /// <value>The default is 6 minutes. Between 1 second and 7 days.</value>
    /// <remarks>
    /// <para>
    /// It must exceed the <see cref="RabbitHaConsumerOptions.HandlerTimeout"/> (5 minutes by default) of every consumer that
    /// deduplicates with this store, which is checked when the host starts: a claim that expired while its handler still
    /// ran would let another process handle the same message at the same time. Leave a margin for the handler's
    /// cancellation and for the record to be written.
    /// </para>
    /// <para>
    /// It is also how long copies of a message whose handler's process died are returned to the queue as in progress (the
    /// broker redelivers the dead process's unacknowledged messages at once; their claims are freed only by expiry). On a
    /// quorum queue each return counts as a delivery: lower the consumers' <c>HandlerTimeout</c> and this together when
    /// handlers are quick.
    /// </para>
    /// </remarks>
    public TimeSpan ClaimExpiry { get; set; } = TimeSpan.FromMinutes(6);

    /// <summary>Gets or sets how long a handled message id is remembered.</summary>
    /// <value>The default is 24 hours. Between 1 second and 365 days.</value>
    /// <remarks>
    /// Copies arriving later are handled again. Duplicates from a failover arrive within seconds or minutes (a re-send, a
    /// redelivery); keep it above the longest time a message may wait in its queue, and budget Redis memory for the ids
    /// handled in that time (a key of some 60 bytes plus the id each).
    /// </remarks>
    public TimeSpan HandledExpiry { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Gets or sets how long one Redis call (claim, mark, release) may take before Redis counts as unavailable.</summary>
    /// <value>The default is 2 seconds. Between 1 millisecond and 5 minutes.</value>
    /// <remarks>
    /// It must be shorter than the <see cref="RabbitHaConsumerOptions.DeduplicationStoreTimeout"/> (5 seconds by default) of
    /// every consumer that deduplicates with this store, which is checked when the host starts: otherwise the consumer gives
    /// up on a slow Redis first, and <see cref="WhenUnavailable"/> never applies to slowness. The first call also waits for
    /// the connection within this time.
    /// </remarks>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets or sets what happens to a message while Redis fails or is slower than <see cref="OperationTimeout"/>.</summary>
    /// <value>The default is <see cref="RedisUnavailableBehavior.FailClosed"/>: the message goes back to its queue until Redis answers.</value>
    public RedisUnavailableBehavior WhenUnavailable { get; set; } = RedisUnavailableBehavior.FailClosed;
}
