using RabbitMQ.Client;

namespace RabbitHa.Client.Internal.Topology;

/// <summary>
/// Declares exchanges, then queues, then bindings, each on its own account: the broker refusing one (see
/// <see cref="TopologyRefusal"/>) does not stop the others. Declaring through an automatically recovering
/// connection is also what makes RabbitMQ.Client record them and re-declare them after each recovery.
/// </summary>
internal static class TopologyDeclarer
{
    public const string QueueTypeArgument = "x-queue-type";
    public const string DeadLetterExchangeArgument = "x-dead-letter-exchange";
    public const string DeadLetterRoutingKeyArgument = "x-dead-letter-routing-key";
    public const string MessageTtlArgument = "x-message-ttl";
    public const string MaxLengthArgument = "x-max-length";
    public const string ClassicQueueType = "classic";
    public const string QuorumQueueType = "quorum";

    /// <summary>The declarations of the configured topology, in the order they are made.</summary>
    public static IReadOnlyList<TopologyDeclaration> Plan(RabbitHaTopologyOptions topology)
    {
        ArgumentNullException.ThrowIfNull(topology);
        var declarations = new List<TopologyDeclaration>(topology.Exchanges.Count + topology.Queues.Count + topology.Bindings.Count);
        foreach (RabbitHaExchangeDefinition exchange in topology.Exchanges)
        {
            declarations.Add(TopologyDeclaration.Exchange(exchange.Name, exchange.Type, exchange.Durable, exchange.AutoDelete,
                ToArguments(exchange.Arguments)));
        }

        foreach (RabbitHaQueueDefinition queue in topology.Queues)
        {
            declarations.Add(TopologyDeclaration.Queue(queue.Name, queue.Durable, queue.Exclusive, queue.AutoDelete, BuildQueueArguments(queue)));
        }

        foreach (RabbitHaBindingDefinition binding in topology.Bindings)
        {
            declarations.Add(TopologyDeclaration.QueueBinding(binding.Queue, binding.Exchange, binding.RoutingKey, ToArguments(binding.Arguments)));
        }

        return declarations;
    }

    /// <summary>
    /// Makes each declaration in turn, on one channel until the broker refuses one (a refusal closes the channel), then on a new one.
    /// </summary>
    /// <param name="openChannelAsync">Opens a channel on the connection to declare on.</param>
    /// <param name="declarations">What to declare, in order.</param>
    /// <param name="cancellationToken">Stops declaring.</param>
    /// <returns>Each declaration with the broker's refusal, or <see langword="null"/> where it was accepted, in the order given.</returns>
    /// <remarks>
    /// Anything but a refusal (the connection lost, a timeout, a cancellation) propagates: the connection is then in
    /// no state to declare anything, and its owner decides what follows.
    /// </remarks>
    public static async Task<IReadOnlyList<(TopologyDeclaration Declaration, TopologyRefusal? Refusal)>> DeclareAsync(
        Func<CancellationToken, Task<IChannel>> openChannelAsync,
        IReadOnlyList<TopologyDeclaration> declarations,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(openChannelAsync);
        ArgumentNullException.ThrowIfNull(declarations);

        var outcomes = new List<(TopologyDeclaration, TopologyRefusal?)>(declarations.Count);
        IChannel? channel = null;
        try
        {
            foreach (TopologyDeclaration declaration in declarations)
            {
                channel ??= await openChannelAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await declaration.DeclareAsync(channel, cancellationToken).ConfigureAwait(false);
                    outcomes.Add((declaration, null));
                }
                catch (Exception ex) when (TopologyRefusal.TryGet(ex, out TopologyRefusal? refusal))
                {
                    outcomes.Add((declaration, refusal));
                    IChannel closed = channel;
                    channel = null;
                    await closed.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (channel is not null)
            {
                await channel.DisposeAsync().ConfigureAwait(false);
            }
        }

        return outcomes;
    }

    /// <summary>The declare arguments of a queue: its type, dead-lettering and limits, then the free-form ones.</summary>
    /// <remarks>
    /// Classic queues get no <c>x-queue-type</c>: a queue declared earlier without it would otherwise fail
    /// the broker's equivalence check (PRECONDITION_FAILED) on RabbitMQ versions that compare it literally.
    /// </remarks>
    public static Dictionary<string, object?>? BuildQueueArguments(RabbitHaQueueDefinition queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (queue.Type == RabbitHaQueueType.Quorum)
        {
            arguments[QueueTypeArgument] = QuorumQueueType;
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

    /// <summary>
    /// The type the broker gives the queue: a free-form <c>x-queue-type</c> argument wins over <see cref="RabbitHaQueueDefinition.Type"/>,
    /// since <see cref="BuildQueueArguments"/> adds the free-form arguments last. Without either, the broker's default is
    /// classic (unless the virtual host's default queue type says otherwise, which RabbitHa cannot see).
    /// </summary>
    public static string DeclaredQueueType(RabbitHaQueueDefinition queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        if (queue.Arguments.TryGetValue(QueueTypeArgument, out string? type))
        {
            return type;
        }

        return queue.Type == RabbitHaQueueType.Quorum ? QuorumQueueType : ClassicQueueType;
    }

    private static Dictionary<string, object?>? ToArguments(IDictionary<string, string> arguments) =>
        arguments.Count == 0
            ? null
            : arguments.ToDictionary(static pair => pair.Key, static pair => (object?)pair.Value, StringComparer.Ordinal);
}
