namespace RabbitHa.Testing;

/// <summary>
/// The nodes of a cluster in node order, and the one place that maps a name from the cluster's reports
/// (<c>rabbit@rmq2</c>, <c>rmq2</c>) to its node.
/// </summary>
/// <remarks>An array would do as a list, but its out-of-range error names neither the valid indexes nor that
/// <c>Nodes[0]</c> is node 1, the slip a test makes with a node number in hand.</remarks>
internal sealed class ClusterNodeList : IReadOnlyList<IRabbitHaClusterNode>
{
    private readonly IRabbitHaClusterNode[] _nodes;

    /// <param name="nodes">The nodes, node 1 first.</param>
    public ClusterNodeList(IEnumerable<IRabbitHaClusterNode> nodes) => _nodes = [.. nodes];

    /// <inheritdoc />
    public int Count => _nodes.Length;

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not from 0 to <see cref="Count"/> - 1.</exception>
    public IRabbitHaClusterNode this[int index] =>
        index >= 0 && index < _nodes.Length
            ? _nodes[index]
            : throw new ArgumentOutOfRangeException(
                nameof(index),
                index,
                $"The cluster's nodes are at indexes 0 to {_nodes.Length - 1}: Nodes[0] is node 1 ({_nodes[0].HostName}); for node N, use Nodes[N - 1].");

    /// <summary>Finds the node an Erlang node name (<c>rabbit@rmq2</c>) or a host name (<c>rmq2</c>) stands for.</summary>
    /// <returns>The node, or <see langword="null"/> if the name is no node's.</returns>
    public IRabbitHaClusterNode? Find(string name) =>
        Array.Find(_nodes, n => string.Equals(n.NodeName, name, StringComparison.Ordinal) || string.Equals(n.HostName, name, StringComparison.Ordinal));

    /// <summary>Like <see cref="Find"/>, for a name that must be a node's.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or empty, or no node's.</exception>
    public IRabbitHaClusterNode Get(string name, string parameter)
    {
        ArgumentException.ThrowIfNullOrEmpty(name, parameter);
        return Find(name) ?? throw new ArgumentException(
            $"'{name}' is not a node of this cluster, whose nodes are {string.Join(", ", _nodes.Select(n => $"{n.NodeName} ({n.HostName})"))}.",
            parameter);
    }

    /// <inheritdoc />
    public IEnumerator<IRabbitHaClusterNode> GetEnumerator() => ((IEnumerable<IRabbitHaClusterNode>)_nodes).GetEnumerator();

    /// <inheritdoc />
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
