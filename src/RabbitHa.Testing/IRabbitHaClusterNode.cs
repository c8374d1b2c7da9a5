namespace RabbitHa.Testing;

/// <summary>
/// One RabbitMQ node of an <see cref="IRabbitHaCluster"/>: where to reach it directly, bypassing HAProxy, and the
/// operations that break it and bring it back.
/// </summary>
/// <remarks>
/// Get one from <see cref="IRabbitHaCluster.Nodes"/> (index 0 is node 1), <see cref="IRabbitHaCluster.GetNode"/> (by the
/// name the cluster's states report) or <see cref="IRabbitHaCluster.FindConnectionNodeAsync"/>. A node is the same object
/// for the life of its cluster, and keeps its endpoints across a stop and a start. The endpoints are known as soon as
/// the cluster is built; the operations need it started.
/// </remarks>
public interface IRabbitHaClusterNode
{
    /// <summary>Gets the node number, from 1 to <see cref="IRabbitHaCluster.NodeCount"/>, as in <see cref="HostName"/>.</summary>
    int Number { get; }

    /// <summary>Gets the node's host name inside the cluster network, e.g. <c>rmq1</c>; also HAProxy's name for it (<see cref="ProxyBackendState.ServerName"/>).</summary>
    string HostName { get; }

    /// <summary>Gets the Erlang node name, e.g. <c>rabbit@rmq1</c>, as <see cref="ClusterNodeState.NodeName"/> and <see cref="QueueReplicaState.LeaderNode"/> report it.</summary>
    string NodeName { get; }

    /// <summary>Gets the node's AMQP address on the loopback interface, with credentials.</summary>
    Uri AmqpUri { get; }

    /// <summary>
    /// Gets the node's AMQP-over-TLS address on the loopback interface, with credentials; <see langword="null"/> unless the
    /// cluster has TLS on (<see cref="IRabbitHaCluster.TlsEnabled"/>). Its certificate is for <see cref="HostName"/>,
    /// <c>localhost</c> and <c>127.0.0.1</c>, signed by the cluster's CA (<see cref="IRabbitHaCluster.CaCertificatePath"/>).
    /// </summary>
    Uri? AmqpsUri { get; }

    /// <summary>Gets the node's management HTTP API base address, e.g. <c>http://127.0.0.1:49160/</c>.</summary>
    Uri ManagementUri { get; }

    /// <summary>Kills the node with SIGKILL, as a crash or a power cut would: no clean shutdown.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <exception cref="InvalidOperationException">The cluster has not been started.</exception>
    Task KillAsync(CancellationToken cancellationToken = default);

    /// <summary>Stops the node gracefully (SIGTERM: RabbitMQ shuts down cleanly).</summary>
    /// <inheritdoc cref="KillAsync" path="/param"/>
    /// <inheritdoc cref="KillAsync" path="/exception"/>
    Task StopAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts the node after <see cref="KillAsync"/> or <see cref="StopAsync"/> and waits until RabbitMQ runs on it; it
    /// rejoins the cluster by itself. Use <see cref="IRabbitHaCluster.WaitUntilHealthyAsync"/> to wait until HAProxy sees
    /// it UP again.
    /// </summary>
    /// <inheritdoc cref="KillAsync" path="/param"/>
    /// <inheritdoc cref="KillAsync" path="/exception"/>
    Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Cuts the node off the network it shares with the other nodes and HAProxy: a network partition.
    /// With <c>pause_minority</c>, the isolated node pauses itself once it notices: the majority notices after about
    /// 1.25 x <c>net_ticktime</c> (here 10 s), the node paused about 12 s after the cut on RabbitMQ 3.10 and about 35 s
    /// after it on RabbitMQ 4.0. Its own endpoints are unreachable until <see cref="ReconnectAsync"/>.
    /// </summary>
    /// <remarks>
    /// Reconnect it only once it has paused: its log (<see cref="GetLogAsync"/>) says
    /// <c>Cluster minority/secondary status detected</c>. Reconnected sooner, it may see the others again before it
    /// decides, stay up, and leave a partition that <c>pause_minority</c> never heals (seen on RabbitMQ 4.0 within a
    /// second of the majority noticing); restart the node then.
    /// </remarks>
    /// <inheritdoc cref="KillAsync" path="/param"/>
    /// <inheritdoc cref="KillAsync" path="/exception"/>
    Task DisconnectAsync(CancellationToken cancellationToken = default);

    /// <summary>Puts the node cut off by <see cref="DisconnectAsync"/> back on the network; it recovers by itself.</summary>
    /// <inheritdoc cref="KillAsync" path="/param"/>
    /// <inheritdoc cref="KillAsync" path="/exception"/>
    Task ReconnectAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Freezes every process of the node (its kernel still accepts TCP connections, nothing answers).
    /// A pause longer than <c>net_ticktime</c> leaves a partition that <c>pause_minority</c> does not heal:
    /// after <see cref="UnpauseAsync"/>, restart the node if the cluster reports a partition.
    /// </summary>
    /// <inheritdoc cref="KillAsync" path="/param"/>
    /// <inheritdoc cref="KillAsync" path="/exception"/>
    Task PauseAsync(CancellationToken cancellationToken = default);

    /// <summary>Resumes the node frozen by <see cref="PauseAsync"/>.</summary>
    /// <inheritdoc cref="KillAsync" path="/param"/>
    /// <inheritdoc cref="KillAsync" path="/exception"/>
    Task UnpauseAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Sets the node's memory high watermark so low that its memory alarm goes off: the whole cluster
    /// blocks publishing connections until <see cref="ClearMemoryAlarmAsync"/>.
    /// </summary>
    /// <inheritdoc cref="KillAsync" path="/param"/>
    /// <exception cref="InvalidOperationException">The cluster has not been started, or <c>rabbitmqctl</c> failed on the node.</exception>
    Task RaiseMemoryAlarmAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Sets the node's memory high watermark to an absolute number of bytes: the node raises its memory alarm (and the
    /// whole cluster blocks publishing connections) while it uses more, and clears it by itself once it uses less.
    /// <see cref="ClearMemoryAlarmAsync"/> restores the default.
    /// </summary>
    /// <param name="bytes">The watermark, in bytes; <see cref="ClusterNodeState.MemoryUsed"/> tells what the node uses now.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is not positive.</exception>
    /// <inheritdoc cref="RaiseMemoryAlarmAsync" path="/exception"/>
    Task SetMemoryHighWatermarkAsync(long bytes, CancellationToken cancellationToken = default);

    /// <summary>Restores the default memory high watermark of the node (0.4 on RabbitMQ 3, 0.6 on RabbitMQ 4), which clears its alarm.</summary>
    /// <inheritdoc cref="KillAsync" path="/param"/>
    /// <inheritdoc cref="RaiseMemoryAlarmAsync" path="/exception"/>
    Task ClearMemoryAlarmAsync(CancellationToken cancellationToken = default);

    /// <summary>Gets what the node wrote to its standard output and error since it was created.</summary>
    /// <inheritdoc cref="KillAsync" path="/param"/>
    /// <inheritdoc cref="KillAsync" path="/exception"/>
    Task<string> GetLogAsync(CancellationToken cancellationToken = default);
}
