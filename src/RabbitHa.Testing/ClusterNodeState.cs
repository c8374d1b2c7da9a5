namespace RabbitHa.Testing;

/// <summary>One node as the cluster reports it.</summary>
/// <param name="NodeName">The Erlang node name, e.g. <c>rabbit@rmq2</c>.</param>
/// <param name="IsRunning">Whether RabbitMQ runs on the node and the reporting node can see it.</param>
/// <param name="Partitions">The nodes this node reports a network partition with; empty when there is none.</param>
public sealed record ClusterNodeState(string NodeName, bool IsRunning, IReadOnlyList<string> Partitions)
{
    /// <summary>Gets the memory the node uses, in bytes, as the management API last reported it.</summary>
    /// <value>0 when the node did not report it (not running).</value>
    public long MemoryUsed { get; init; }

    /// <summary>Gets the node's memory high watermark, in bytes: above it the node raises its memory alarm.</summary>
    /// <value>0 when the node did not report it (not running).</value>
    public long MemoryLimit { get; init; }

    /// <summary>Gets a value indicating whether the node's memory alarm is on (it blocks publishing connections cluster-wide).</summary>
    public bool MemoryAlarm { get; init; }
}
