namespace RabbitHa.Client;

/// <summary>An exchange to declare.</summary>
public sealed class RabbitHaExchangeDefinition
{
    /// <summary>Gets or sets the exchange name. Required; names starting with <c>amq.</c> are reserved by the broker.</summary>
    /// <value>The default is an empty string, which fails validation.</value>
    public string Name { get; set; } = string.Empty;

    /// <summary>Gets or sets the exchange type: <c>direct</c>, <c>fanout</c>, <c>topic</c>, <c>headers</c>, or a plugin's <c>x-…</c> type.</summary>
    /// <value>The default is <c>"direct"</c>.</value>
    public string Type { get; set; } = "direct";

    /// <summary>Gets or sets a value indicating whether the exchange survives a broker restart.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool Durable { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether the exchange is deleted when its last binding goes.</summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool AutoDelete { get; set; }

    /// <summary>Gets extra string-valued declare arguments, such as <c>alternate-exchange</c>.</summary>
    /// <value>Empty by default.</value>
    public IDictionary<string, string> Arguments { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
