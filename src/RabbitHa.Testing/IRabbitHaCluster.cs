namespace RabbitHa.Testing;

/// <summary>
/// A three-node RabbitMQ cluster behind HAProxy that replicates every queue on every node, as a test sees it: where to
/// connect, how to break it, and what state it is in.
/// </summary>
/// <remarks>
/// <para>
/// How queues are replicated depends on <see cref="RabbitMqProfile"/>: on RabbitMQ 3 the policy <c>ha-all</c> mirrors
/// classic queues; on RabbitMQ 4, which removed mirroring, quorum is the default queue type of the virtual host
/// <c>/</c>, and there is no <c>ha-*</c> policy.
/// </para>
/// <para>
/// Nodes are numbered from 1 to <see cref="NodeCount"/>, as in their host names (<c>rmq1</c>, <c>rmq2</c>,
/// <c>rmq3</c>) and Erlang node names (<c>rabbit@rmq1</c> ...). Every endpoint is on the loopback interface
/// (127.0.0.1, never an address other machines reach) and keeps its port when a node or the proxy is stopped and
/// started again.
/// </para>
/// <para>
/// Each cluster has credentials of its own, generated when it is created: <see cref="UserName"/> is the only
/// RabbitMQ user (an administrator of the virtual host <c>/</c>; there is no <c>guest</c>), and the statistics page
/// has its own login (<see cref="Proxy"/>). <see cref="AmqpUri"/>, <see cref="AmqpsUri"/> and the node endpoints carry the user's credentials,
/// so do not log them as they are.
/// </para>
/// <para>
/// Applications should connect through <see cref="AmqpUri"/> (HAProxy), or <see cref="AmqpsUri"/> on a cluster with TLS
/// on. The per-node endpoints exist to configure fallbacks and to observe the cluster.
/// </para>
/// </remarks>
public interface IRabbitHaCluster : IAsyncDisposable
{
    /// <summary>Gets the number of RabbitMQ nodes (3).</summary>
    int NodeCount { get; }

    /// <summary>
    /// Gets the RabbitMQ line the cluster runs: what a test branches on where RabbitMQ 3 and 4 differ (mirrored classic
    /// queues on 3, quorum queues on 4). <c>(int)RabbitMqProfile</c> is the major version.
    /// </summary>
    RabbitMqProfile RabbitMqProfile { get; }

    /// <summary>
    /// Gets the AMQP address of HAProxy, with credentials, e.g. <c>amqp://rabbitha-k3f9q2xz:<i>password</i>@127.0.0.1:49153/</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The cluster has not been started.</exception>
    Uri AmqpUri { get; }

    /// <summary>Gets the user name defined on the cluster: generated for this cluster, and its only user.</summary>
    string UserName { get; }

    /// <summary>Gets the password of <see cref="UserName"/>: random, of letters, digits, <c>-</c> and <c>_</c> (nothing to escape in a URI).</summary>
    string Password { get; }

    /// <summary>
    /// Gets the nodes, in node order: index 0 is node 1 (<c>rmq1</c>). Each carries its endpoints and the operations that
    /// break it (kill, stop, disconnect, pause, memory alarm) and bring it back.
    /// </summary>
    /// <remarks>An index out of range throws <see cref="ArgumentOutOfRangeException"/> with the valid indexes.</remarks>
    IReadOnlyList<IRabbitHaClusterNode> Nodes { get; }

    /// <summary>Gets HAProxy: its statistics page and login, its view of the nodes, and the operations that stop and start it.</summary>
    IRabbitHaClusterProxy Proxy { get; }

    /// <summary>
    /// Gets whether the cluster also speaks AMQP over TLS: HAProxy on <see cref="AmqpsUri"/>, each node on
    /// <see cref="IRabbitHaClusterNode.AmqpsUri"/>, with certificates signed by a CA generated for this cluster
    /// (<see cref="CaCertificatePath"/>). The plain endpoints stay either way.
    /// </summary>
    bool TlsEnabled { get; }

    /// <summary>
    /// Gets the AMQP-over-TLS address of HAProxy, with credentials, e.g.
    /// <c>amqps://rabbitha-k3f9q2xz:<i>password</i>@127.0.0.1:49154/</c>; <see langword="null"/> unless <see cref="TlsEnabled"/>.
    /// </summary>
    /// <remarks>
    /// HAProxy passes TLS through to a node, which ends it: the certificate a client checks is that node's, for the names
    /// <c>rmqN</c>, <c>localhost</c> and <c>127.0.0.1</c>, signed by the cluster's CA (<see cref="CaCertificatePath"/>).
    /// </remarks>
    Uri? AmqpsUri { get; }

    /// <summary>
    /// Gets the path of a PEM file on this machine that holds the cluster's CA certificate, the one to trust for
    /// <see cref="AmqpsUri"/> and the nodes' TLS endpoints (RabbitHa.Client's <c>Tls:CaCertificatePath</c> takes it);
    /// <see langword="null"/> unless <see cref="TlsEnabled"/>. The file is in a directory of its own, removed with the cluster.
    /// </summary>
    string? CaCertificatePath { get; }

    /// <summary>
    /// Gets the cluster's CA certificate as PEM text (<c>-----BEGIN CERTIFICATE-----</c>), for a client that takes a
    /// certificate rather than a file (<c>X509Certificate2.CreateFromPem</c>); <see langword="null"/> unless
    /// <see cref="TlsEnabled"/>.
    /// </summary>
    string? CaCertificatePem { get; }

    /// <summary>Starts the cluster and waits until it is healthy (see <see cref="WaitUntilHealthyAsync"/>).</summary>
    /// <param name="cancellationToken">Cancels the start; what was created is removed by <see cref="IAsyncDisposable.DisposeAsync"/>.</param>
    Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Waits until every node is running and clustered, no partition is reported and HAProxy reports
    /// every node UP.
    /// </summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> for the backend's default.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="TimeoutException">The cluster was not healthy in time; the message says what was missing.</exception>
    Task WaitUntilHealthyAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gets the node a name in the cluster's own reports stands for: an Erlang node name such as <c>rabbit@rmq2</c>
    /// (<see cref="ClusterNodeState.NodeName"/>, <see cref="QueueReplicaState.LeaderNode"/> and its mirrors) or a host name
    /// such as <c>rmq2</c> (<see cref="ProxyBackendState.ServerName"/>); for example, to kill the node that holds a queue's leader.
    /// </summary>
    /// <param name="nodeName">The Erlang node name or host name.</param>
    /// <returns>The node.</returns>
    /// <exception cref="ArgumentException"><paramref name="nodeName"/> is null or empty, or names no node of this cluster.</exception>
    IRabbitHaClusterNode GetNode(string nodeName);

    /// <summary>Gets the nodes as the cluster sees them, asking the first node that answers.</summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <exception cref="InvalidOperationException">No node answered.</exception>
    Task<IReadOnlyList<ClusterNodeState>> GetNodeStatesAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Gets where a queue lives: its leader (master) node, its mirrors and which of them are synchronised; for a quorum
    /// queue, its leader, its other members and which of them are online.
    /// </summary>
    /// <param name="queue">The queue name.</param>
    /// <param name="virtualHost">The virtual host; <c>/</c> by default.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The queue's state, or <see langword="null"/> if the queue does not exist.</returns>
    /// <exception cref="InvalidOperationException">No node answered.</exception>
    Task<QueueReplicaState?> GetQueueReplicasAsync(string queue, string virtualHost = "/", CancellationToken cancellationToken = default);

    /// <summary>
    /// Finds the node that holds the client connection with the given client-provided name
    /// (<c>connection_name</c> client property), so that a test can kill exactly that node.
    /// </summary>
    /// <remarks>
    /// The management API lists a connection only once its node has emitted statistics for it, 3 to 5 s after it
    /// opened. So this asks again, every half second, until the connection is listed or <paramref name="timeout"/>
    /// has passed: right after opening a connection, call it and use the answer. To ask once, for a connection that
    /// is expected to be absent, pass <see cref="TimeSpan.Zero"/>.
    /// </remarks>
    /// <param name="clientProvidedName">The name the client gave its connection.</param>
    /// <param name="timeout">How long to wait for the connection to be listed; <see langword="null"/> for 10 s.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The node, or <see langword="null"/> if no such connection was listed within <paramref name="timeout"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="clientProvidedName"/> is null or empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">No node answered.</exception>
    Task<IRabbitHaClusterNode?> FindConnectionNodeAsync(string clientProvidedName, TimeSpan? timeout = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stops every node gracefully, one after the other in <paramref name="order"/>, each once the previous one has
    /// stopped: a whole-cluster outage (a maintenance window, a power cut with a clean shutdown). Every client connection
    /// drops and HAProxy refuses new ones until <see cref="StartAllNodesAsync"/>. The last node of the order is the last
    /// to stop. For a crash of the whole cluster instead, call <see cref="IRabbitHaClusterNode.KillAsync"/> for each node.
    /// </summary>
    /// <param name="order">Every node number once; <see langword="null"/> for 1, 2, 3.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <exception cref="ArgumentException"><paramref name="order"/> does not name every node exactly once.</exception>
    Task StopAllNodesAsync(IReadOnlyList<int>? order = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts every node in <paramref name="order"/>, <paramref name="interval"/> apart, and waits until RabbitMQ runs on
    /// all of them; they form the cluster again by themselves. Use <see cref="WaitUntilHealthyAsync"/> to wait until
    /// HAProxy sees them UP.
    /// </summary>
    /// <remarks>
    /// <para>
    /// After a whole-cluster stop, RabbitMQ asks that the node that stopped last start first: the others hold the
    /// cluster's metadata as it was when they left, and each waits at boot for a peer that stopped after it (10 x 30 s
    /// on RabbitMQ 3.x and 4.0, then it exits). Any order works, the "wrong" one included, as long as every node is
    /// started within that wait: this starts each node without waiting for the previous one to boot. Starting them
    /// one at a time, each awaited (<see cref="IRabbitHaClusterNode.StartAsync"/> in a loop), hangs when the first is not the last to stop.
    /// </para>
    /// </remarks>
    /// <param name="order">Every node number once; <see langword="null"/> for the order RabbitMQ asks for: the node that
    /// was stopped or killed last first, then the others from the most recently stopped.</param>
    /// <param name="interval">How long to wait between two starts; <see langword="null"/> for 2 s.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <exception cref="ArgumentException"><paramref name="order"/> does not name every node exactly once.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="interval"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">A node exited during its boot; the message quotes the end of its log.</exception>
    Task StartAllNodesAsync(IReadOnlyList<int>? order = null, TimeSpan? interval = null, CancellationToken cancellationToken = default);
}
