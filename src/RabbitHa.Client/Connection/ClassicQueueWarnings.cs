using Microsoft.Extensions.Logging;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Topology;

namespace RabbitHa.Client.Internal.Connection;

/// <summary>
/// Warns, once per queue and connection, about the durable classic queues of the topology when the broker is RabbitMQ 4
/// or later. There the cluster's <c>ha-all</c> policy no longer mirrors them, so the queue RabbitHa declares is exactly
/// what a node loss takes away, messages included; the broker accepts it without a word.
/// </summary>
/// <remarks>
/// Checked at connect and after each recovery: a cluster upgraded from RabbitMQ 3 in place is first seen as RabbitMQ 4 by
/// a recovery. Exclusive and auto-delete queues are left out: they end with their connection or consumer anyway.
/// </remarks>
internal sealed class ClassicQueueWarnings
{
    private readonly string _connectionName;
    private readonly ILogger _logger;
    private readonly List<string> _queues = [];
    private readonly HashSet<string> _warned = new(StringComparer.Ordinal);

    public ClassicQueueWarnings(string connectionName, ILogger logger)
    {
        _connectionName = connectionName;
        _logger = logger;
    }

    /// <summary>Adds the topology's durable classic queues to those to warn about.</summary>
    public void Track(RabbitHaTopologyOptions topology)
    {
        ArgumentNullException.ThrowIfNull(topology);
        lock (_warned)
        {
            foreach (RabbitHaQueueDefinition queue in topology.Queues)
            {
                if (IsDurableClassic(queue) && !_queues.Contains(queue.Name, StringComparer.Ordinal))
                {
                    _queues.Add(queue.Name);
                }
            }
        }
    }

    /// <summary>Warns about each tracked queue not warned about yet, if <paramref name="broker"/> does not replicate classic queues.</summary>
    public void WarnIfUnreplicated(BrokerInfo broker)
    {
        if (!broker.ClassicQueuesUnreplicated || broker.Version is not { } version)
        {
            return;
        }

        List<string> due;
        lock (_warned)
        {
            due = _queues.Where(_warned.Add).ToList();
        }

        foreach (string queue in due)
        {
            _logger.ClassicQueueNotReplicated(_connectionName, queue, version);
        }
    }

    /// <summary>
    /// A classic queue that outlives its connection. The type is the one declared: a free-form <c>x-queue-type</c> argument
    /// overrides <see cref="RabbitHaQueueDefinition.Type"/>, as in <see cref="TopologyDeclarer.BuildQueueArguments"/>.
    /// </summary>
    internal static bool IsDurableClassic(RabbitHaQueueDefinition queue) =>
        queue.Durable && !queue.Exclusive && !queue.AutoDelete
        && string.Equals(TopologyDeclarer.DeclaredQueueType(queue), TopologyDeclarer.ClassicQueueType, StringComparison.OrdinalIgnoreCase);
}
