namespace RabbitHa.Samples.Producer;

/// <summary>What the producer publishes: section "Producer" of appsettings.json.</summary>
public sealed class ProducerOptions
{
    /// <summary>Gets or sets the queue the orders go to (through the default exchange).</summary>
    public string Queue { get; set; } = "orders";

    /// <summary>Gets or sets how many orders are published a second.</summary>
    public int MessagesPerSecond { get; set; } = 20;
}
