namespace RabbitHa.Client;

/// <summary>
/// The exchanges, queues and bindings RabbitHa declares when it connects. RabbitMQ.Client records them and
/// re-declares them after every recovery, so they exist on whichever node the connection lands on.
/// </summary>
public sealed class RabbitHaTopologyOptions
{
    /// <summary>Gets the exchanges, declared first.</summary>
    /// <value>Empty by default.</value>
    public IList<ExchangeDefinition> Exchanges { get; } = new List<ExchangeDefinition>();

    /// <summary>Gets the queues, declared after the exchanges.</summary>
    /// <value>Empty by default.</value>
    public IList<QueueDefinition> Queues { get; } = new List<QueueDefinition>();

    /// <summary>Gets the bindings of queues to exchanges, declared last.</summary>
    /// <value>Empty by default.</value>
    public IList<BindingDefinition> Bindings { get; } = new List<BindingDefinition>();

    internal bool IsEmpty => Exchanges.Count == 0 && Queues.Count == 0 && Bindings.Count == 0;

    /// <inheritdoc/>
    public override string ToString() =>
        $"{{ Exchanges = {Exchanges.Count}, Queues = {Queues.Count}, Bindings = {Bindings.Count} }}";
}
