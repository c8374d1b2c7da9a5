using RabbitMQ.Client;

namespace RabbitHa.Client.Internal.Topology;

/// <summary>
/// What RabbitMQ.Client's topology recovery does when the broker refuses to re-declare a recorded exchange, queue or
/// binding: hand it to <see cref="TopologyRefusals"/> and go on with the rest of the recovery.
/// </summary>
/// <remarks>
/// Without this, RabbitMQ.Client takes the refusal (an <see cref="RabbitMQ.Client.Exceptions.OperationInterruptedException"/>)
/// for a lost connection, aborts the recovery and starts it again, for ever: the connection stays Recovering and
/// nothing else works. Every other failure still gets RabbitMQ.Client's own handling: the conditions are true for
/// refusals only (see <see cref="TopologyRefusal"/>).
/// </remarks>
internal static class TopologyRecoveryRefusalHandler
{
    /// <param name="refusals">Where refusals are recorded and retried.</param>
    /// <param name="topology">
    /// The configured topology: RabbitMQ.Client does not say whether a recorded binding's destination is a queue or an
    /// exchange, and the configured exchanges are the ones RabbitHa knows to be exchanges.
    /// </param>
    public static TopologyRecoveryExceptionHandler Create(TopologyRefusals refusals, RabbitHaTopologyOptions topology)
    {
        ArgumentNullException.ThrowIfNull(refusals);
        ArgumentNullException.ThrowIfNull(topology);
        var exchanges = topology.Exchanges.Select(static e => e.Name).ToHashSet(StringComparer.Ordinal);

        return new TopologyRecoveryExceptionHandler
        {
            ExchangeRecoveryExceptionCondition = static (_, exception) => TopologyRefusal.IsRefusal(exception),

            // A server-named queue gets a new name at each declaration, so there is nothing to declare again under the
            // name the application holds; RabbitMQ.Client's own handling applies to it.
            QueueRecoveryExceptionCondition = static (queue, exception) => !queue.IsServerNamed && TopologyRefusal.IsRefusal(exception),
            BindingRecoveryExceptionCondition = static (_, exception) => TopologyRefusal.IsRefusal(exception),

            ExchangeRecoveryExceptionHandlerAsync = (exchange, exception, _) =>
                Record(refusals, FromRecorded(exchange), exception),
            QueueRecoveryExceptionHandlerAsync = (queue, exception, _) =>
                Record(refusals, FromRecorded(queue), exception),
            BindingRecoveryExceptionHandlerAsync = (binding, exception, _) =>
                Record(refusals, FromRecorded(binding, exchanges), exception),
        };
    }

    public static TopologyDeclaration FromRecorded(IRecordedExchange exchange)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        return TopologyDeclaration.Exchange(exchange.Name, exchange.Type, exchange.Durable, exchange.AutoDelete, exchange.Arguments);
    }

    public static TopologyDeclaration FromRecorded(IRecordedQueue queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return TopologyDeclaration.Queue(queue.Name, queue.Durable, queue.Exclusive, queue.AutoDelete, queue.Arguments);
    }

    /// <remarks>
    /// RabbitHa declares queue bindings only; a binding to one of the configured exchanges is one the application made
    /// itself between two exchanges. One between exchanges RabbitHa does not know is taken for a queue binding, and the
    /// broker's answer to its retry (404, no such queue) says so in the log and the health check.
    /// </remarks>
    public static TopologyDeclaration FromRecorded(IRecordedBinding binding, IReadOnlySet<string> exchanges)
    {
        ArgumentNullException.ThrowIfNull(binding);
        ArgumentNullException.ThrowIfNull(exchanges);
        return exchanges.Contains(binding.Destination)
            ? TopologyDeclaration.ExchangeBinding(binding.Destination, binding.Source, binding.RoutingKey, binding.Arguments)
            : TopologyDeclaration.QueueBinding(binding.Destination, binding.Source, binding.RoutingKey, binding.Arguments);
    }

    private static Task Record(TopologyRefusals refusals, TopologyDeclaration declaration, Exception exception)
    {
        // The condition admitted only refusals, so this always holds.
        if (TopologyRefusal.TryGet(exception, out TopologyRefusal? refusal))
        {
            refusals.Refused(declaration, refusal);
        }

        return Task.CompletedTask;
    }
}
