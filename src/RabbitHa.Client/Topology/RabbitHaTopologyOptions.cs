namespace RabbitHa.Client;

/// <summary>
/// The exchanges, queues and bindings RabbitHa declares when it connects. RabbitMQ.Client records them and
/// re-declares them after every recovery, so they exist on whichever node the connection lands on.
/// </summary>
/// <remarks>
/// <para>
/// Each is declared on its own account. When the broker refuses one (403 ACCESS_REFUSED, 404 NOT_FOUND, or 406
/// PRECONDITION_FAILED, such as a queue that another party re-created with other arguments or as a quorum queue), at
/// connect or during a recovery, the connection opens (or recovers) without it and everything else works. The refusal
/// is logged as an error naming the entity and the broker's reason, counted on
/// <see cref="RabbitHaDiagnostics.TopologyRefusalsInstrument"/>, and reported by the <c>"rabbitha"</c> health check as
/// <c>Degraded</c>. RabbitHa declares it again in the background, while the connection is open, every 1 s at first
/// and then at most every 30 s, until the broker accepts it (logged as information; the health check is healthy
/// again) or the connection is closed.
/// </para>
/// <para>
/// Connecting does not fail for a refusal; an unreachable cluster or refused credentials still fail it.
/// </para>
/// </remarks>
public sealed class RabbitHaTopologyOptions
{
    /// <summary>Gets the exchanges, declared first.</summary>
    /// <value>Empty by default.</value>
    public IList<RabbitHaExchangeDefinition> Exchanges { get; } = new List<RabbitHaExchangeDefinition>();

    /// <summary>Gets the queues, declared after the exchanges.</summary>
    /// <value>Empty by default.</value>
    public IList<RabbitHaQueueDefinition> Queues { get; } = new List<RabbitHaQueueDefinition>();

    /// <summary>Gets the bindings of queues to exchanges, declared last.</summary>
    /// <value>Empty by default.</value>
    public IList<RabbitHaBindingDefinition> Bindings { get; } = new List<RabbitHaBindingDefinition>();

    internal bool IsEmpty => Exchanges.Count == 0 && Queues.Count == 0 && Bindings.Count == 0;

    /// <inheritdoc/>
    public override string ToString() =>
        $"{{ Exchanges = {Exchanges.Count}, Queues = {Queues.Count}, Bindings = {Bindings.Count} }}";
}
