namespace RabbitHa.Client;

/// <summary>A binding of a queue to an exchange.</summary>
public sealed class RabbitHaBindingDefinition
{
    /// <summary>Gets or sets the exchange messages come from. Required (the default exchange cannot be bound).</summary>
    /// <value>The default is an empty string, which fails validation.</value>
    public string Exchange { get; set; } = string.Empty;

    /// <summary>Gets or sets the queue messages go to. Required.</summary>
    /// <value>The default is an empty string, which fails validation.</value>
    public string Queue { get; set; } = string.Empty;

    /// <summary>Gets or sets the routing key (or pattern, for a topic exchange).</summary>
    /// <value>The default is an empty string.</value>
    public string RoutingKey { get; set; } = string.Empty;

    /// <summary>Gets extra string-valued binding arguments, such as the headers of a headers exchange.</summary>
    /// <value>Empty by default.</value>
    public IDictionary<string, string> Arguments { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
