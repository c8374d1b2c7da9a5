using Microsoft.Extensions.Logging;
using RabbitMQ.Client;

namespace RabbitHa.Client;

/// <summary>
/// Declares exchanges, then queues, then bindings. Declaring through an automatically recovering
/// connection is also what makes RabbitMQ.Client record them and re-declare them after each recovery.
/// </summary>
internal static class TopologyDeclarer
{
    public const string QueueTypeArgument = "x-queue-type";
    public const string DeadLetterExchangeArgument = "x-dead-letter-exchange";
    public const string DeadLetterRoutingKeyArgument = "x-dead-letter-routing-key";
    public const string MessageTtlArgument = "x-message-ttl";
    public const string MaxLengthArgument = "x-max-length";

    public static async Task DeclareAsync(IChannel channel, RabbitHaTopologyOptions topology, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(logger);

        foreach (ExchangeDefinition exchange in topology.Exchanges)
        {
            await channel.ExchangeDeclareAsync(exchange.Name, exchange.Type, exchange.Durable, exchange.AutoDelete,
                ToArguments(exchange.Arguments), cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        foreach (QueueDefinition queue in topology.Queues)
        {
            await channel.QueueDeclareAsync(queue.Name, queue.Durable, queue.Exclusive, queue.AutoDelete,
                BuildQueueArguments(queue), cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        foreach (BindingDefinition binding in topology.Bindings)
        {
            await channel.QueueBindAsync(binding.Queue, binding.Exchange, binding.RoutingKey,
                ToArguments(binding.Arguments), cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        logger.TopologyDeclared(topology.Exchanges.Count, topology.Queues.Count, topology.Bindings.Count);
    }

    /// <summary>The declare arguments of a queue: its type, dead-lettering and limits, then the free-form ones.</summary>
    /// <remarks>
    /// Classic queues get no <c>x-queue-type</c>: a queue declared earlier without it would otherwise fail
    /// the broker's equivalence check (PRECONDITION_FAILED) on RabbitMQ versions that compare it literally.
    /// </remarks>
    public static Dictionary<string, object?>? BuildQueueArguments(QueueDefinition queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (queue.Type == QueueType.Quorum)
        {
            arguments[QueueTypeArgument] = "quorum";
        }

        if (queue.DeadLetterExchange is not null)
        {
            arguments[DeadLetterExchangeArgument] = queue.DeadLetterExchange;
        }

        if (queue.DeadLetterRoutingKey is not null)
        {
            arguments[DeadLetterRoutingKeyArgument] = queue.DeadLetterRoutingKey;
        }

        if (queue.MessageTtl is { } ttl)
        {
            arguments[MessageTtlArgument] = (long)ttl.TotalMilliseconds;
        }

        if (queue.MaxLength is { } maxLength)
        {
            arguments[MaxLengthArgument] = maxLength;
        }

        foreach (KeyValuePair<string, string> argument in queue.Arguments)
        {
            arguments[argument.Key] = argument.Value;
        }

        return arguments.Count == 0 ? null : arguments;
    }

    private static Dictionary<string, object?>? ToArguments(IDictionary<string, string> arguments) =>
        arguments.Count == 0
            ? null
            : arguments.ToDictionary(static pair => pair.Key, static pair => (object?)pair.Value, StringComparer.Ordinal);
}
