namespace RabbitHa.Client;

/// <summary>A queue to declare.</summary>
public sealed class RabbitHaQueueDefinition
{
    /// <summary>Gets or sets the queue name. Required (server-named queues are not declared from options); names starting with <c>amq.</c> are reserved.</summary>
    /// <value>The default is an empty string, which fails validation.</value>
    public string Name { get; set; } = string.Empty;

    /// <summary>Gets or sets the kind of queue.</summary>
    /// <value>
    /// The default is <see cref="RabbitHaQueueType.Classic"/>, mirrored by the cluster's <c>ha-all</c> policy on RabbitMQ 3 and not
    /// replicated at all on RabbitMQ 4: there, use <see cref="RabbitHaQueueType.Quorum"/>.
    /// </value>
    public RabbitHaQueueType Type { get; set; } = RabbitHaQueueType.Classic;

    /// <summary>Gets or sets a value indicating whether the queue survives a broker restart.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool Durable { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether only this connection may use the queue (deleted when it closes).</summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool Exclusive { get; set; }

    /// <summary>Gets or sets a value indicating whether the queue is deleted when its last consumer goes.</summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool AutoDelete { get; set; }

    /// <summary>Gets or sets the exchange rejected or expired messages are dead-lettered to (<c>x-dead-letter-exchange</c>).</summary>
    /// <value>The default is <see langword="null"/>: no dead-lettering.</value>
    public string? DeadLetterExchange { get; set; }

    /// <summary>Gets or sets the routing key dead-lettered messages get (<c>x-dead-letter-routing-key</c>).</summary>
    /// <value>The default is <see langword="null"/>: the message's own routing key.</value>
    public string? DeadLetterRoutingKey { get; set; }

    /// <summary>Gets or sets how long a message may wait in the queue (<c>x-message-ttl</c>, whole milliseconds).</summary>
    /// <value>The default is <see langword="null"/>: no limit.</value>
    public TimeSpan? MessageTtl { get; set; }

    /// <summary>Gets or sets the most messages the queue holds (<c>x-max-length</c>).</summary>
    /// <value>The default is <see langword="null"/>: no limit.</value>
    public long? MaxLength { get; set; }

    /// <summary>Gets extra string-valued declare arguments, such as <c>x-overflow</c>.</summary>
    /// <value>Empty by default.</value>
    public IDictionary<string, string> Arguments { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
