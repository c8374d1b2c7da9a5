namespace RabbitHa.Client;

/// <summary>The keys of RabbitHa's keyed services.</summary>
public static class RabbitHaServiceKeys
{
    /// <summary>
    /// The key of the publishing <see cref="IRabbitHaConnection"/>:
    /// <c>services.GetRequiredKeyedService&lt;IRabbitHaConnection&gt;(RabbitHaServiceKeys.PublisherConnection)</c>.
    /// The unkeyed <see cref="IRabbitHaConnection"/> is the main connection (topology and consumers).
    /// </summary>
    public const string PublisherConnection = "rabbitha.publisher";
}
