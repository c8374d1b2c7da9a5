namespace RabbitHa.Client;

/// <summary>How <see cref="IRabbitHaPublisher"/> publishes, waits for confirms and retries.</summary>
public sealed class RabbitHaPublisherOptions
{
    /// <summary>The configuration section, below the RabbitHa section, that <c>AddPublisher(IConfiguration)</c> reads.</summary>
    public const string SectionName = "Publisher";

    /// <summary>
    /// Gets or sets how many publishes may wait for their confirm at once; up to <see cref="MaxWaitingPublishes"/>
    /// further callers wait for a slot.
    /// </summary>
    /// <value>256. A window of about 100 already reaches most of a three-node cluster's throughput; more costs memory and makes a failover re-send more.</value>
    public int MaxInFlight { get; set; } = 256;

    /// <summary>
    /// Gets or sets how many callers may wait for a window slot at once; beyond it a publish fails at once with
    /// <see cref="RabbitHaPublishFailureReason.Overloaded"/>, unsent. 0: no caller waits.
    /// </summary>
    /// <value>
    /// 10 000. While the cluster is unreachable no slot frees up, and every waiting caller holds its body until
    /// <see cref="PublishTimeout"/>; the bound caps that memory (10 000 bodies of 1 KiB: about 10 MiB) while letting a
    /// burst of concurrent requests (far more than <see cref="MaxInFlight"/>) wait rather than fail in normal operation.
    /// A fixed number rather than a multiple of <see cref="MaxInFlight"/>: what it bounds is callers and their bodies,
    /// which a larger window does not make cheaper. <see cref="IRabbitHaPublisher.PublishBatchAsync"/> waits as one caller.
    /// </value>
    public int MaxWaitingPublishes { get; set; } = 10_000;

    /// <summary>Gets or sets how long one send waits for its confirm before it is sent again.</summary>
    /// <value>30 seconds; at most <see cref="PublishTimeout"/>. Keep it above the time the cluster needs to notice a lost node (about 1.25 x net_ticktime), or a network partition makes the publisher re-send what is only delayed.</value>
    public TimeSpan ConfirmTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how long a publish may take in all, from the call, before it fails with
    /// <see cref="RabbitHaPublishFailureReason.TimedOut"/>: the wait for a window slot, the first send, every retry and the
    /// wait while the broker blocks the connection all count against it.
    /// </summary>
    /// <value>2 minutes.</value>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Gets or sets how often a message the broker nacked is sent again before the publish fails with <see cref="RabbitHaPublishFailureReason.Nacked"/>.</summary>
    /// <value>3.</value>
    public int MaxNackRetries { get; set; } = 3;

    /// <summary>Gets or sets the pause before the first re-send of a message after its first send; it doubles before each further one.</summary>
    /// <value>20 milliseconds: the retry usually waits for the connection recovery anyway, and a long delay here only lengthens the failover pause.</value>
    /// <remarks>
    /// Each pause varies by ±20 % at random, within <see cref="RetryDelay"/> and <see cref="MaxRetryDelay"/> (RabbitHa's one
    /// backoff, as for recovery, the first connect and resubscribing). 0 re-sends at once, every time. Retries and their
    /// pauses end with <see cref="PublishTimeout"/>.
    /// </remarks>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Gets or sets the longest pause between two re-sends of one message.</summary>
    /// <value>1 second.</value>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets or sets how long stopping the host lets publishes in flight be confirmed before they fail with
    /// <see cref="RabbitHaPublishFailureReason.Stopped"/>. Publishes started after the stop began, or still waiting for a
    /// window slot, fail at once. 0: fail them all at once.
    /// </summary>
    /// <value>
    /// 10 seconds: enough for confirms that are merely slow, and with the consumers' own 20 s stop it stays within the
    /// host's default 30 s shutdown timeout (the host's token cuts the wait short in any case).
    /// </value>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets whether a message no queue receives is returned and reported as <see cref="RabbitHaPublishFailureReason.Unroutable"/>, rather than silently dropped by the broker.</summary>
    /// <value><see langword="true"/>.</value>
    public bool Mandatory { get; set; } = true;

    /// <summary>Gets or sets whether messages without a delivery mode are published as persistent (written to disk by the broker).</summary>
    /// <value><see langword="true"/>.</value>
    public bool Persistent { get; set; } = true;
}
