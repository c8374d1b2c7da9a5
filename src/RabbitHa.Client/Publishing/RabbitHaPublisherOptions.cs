namespace RabbitHa.Client;

/// <summary>How <see cref="IRabbitHaPublisher"/> publishes, waits for confirms and retries.</summary>
public sealed class RabbitHaPublisherOptions
{
    /// <summary>The configuration section, below the RabbitHa section, that <c>AddPublisher(IConfiguration)</c> reads.</summary>
    public const string SectionName = "Publisher";

    /// <summary>Gets or sets how many publishes may wait for their confirm at once; further callers wait for a slot.</summary>
    /// <value>256. A window of about 100 already reaches most of a three-node cluster's throughput; more costs memory and makes a failover re-send more.</value>
    public int MaxInFlight { get; set; } = 256;

    /// <summary>Gets or sets how long one send waits for its confirm before it is sent again.</summary>
    /// <value>30 seconds; at most <see cref="PublishTimeout"/>. Keep it above the time the cluster needs to notice a lost node (about 1.25 x net_ticktime), or a network partition makes the publisher re-send what is only delayed.</value>
    public TimeSpan ConfirmTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how long a publish may take in all, every retry included, before it fails with <see cref="PublishFailureReason.TimedOut"/>.</summary>
    /// <value>2 minutes. A blocked connection (memory or disk alarm) counts against it.</value>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Gets or sets how often a message the broker nacked is sent again before the publish fails with <see cref="PublishFailureReason.Nacked"/>.</summary>
    /// <value>3.</value>
    public int MaxNackRetries { get; set; } = 3;

    /// <summary>Gets or sets the delay before the first retry; later retries back off exponentially, with jitter.</summary>
    /// <value>20 milliseconds: the retry usually waits for the connection recovery anyway, and a long delay here only lengthens the failover pause.</value>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Gets or sets the longest delay between two retries of one message.</summary>
    /// <value>1 second.</value>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets whether a message no queue receives is returned and reported as <see cref="PublishFailureReason.Unroutable"/>, rather than silently dropped by the broker.</summary>
    /// <value><see langword="true"/>.</value>
    public bool Mandatory { get; set; } = true;

    /// <summary>Gets or sets whether messages without a delivery mode are published as persistent (written to disk by the broker).</summary>
    /// <value><see langword="true"/>.</value>
    public bool Persistent { get; set; } = true;
}
