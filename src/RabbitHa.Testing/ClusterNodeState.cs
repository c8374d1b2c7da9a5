namespace RabbitHa.Testing;

/// <summary>One node as the cluster reports it.</summary>
/// <param name="NodeName">The Erlang node name, e.g. <c>rabbit@rmq2</c>.</param>
/// <param name="IsRunning">Whether RabbitMQ runs on the node and the reporting node can see it.</param>
/// <param name="Partitions">The nodes this node reports a network partition with; empty when there is none.</param>
public sealed record ClusterNodeState(string NodeName, bool IsRunning, IReadOnlyList<string> Partitions);
