namespace RabbitHa.Testing;

/// <summary>Where a queue lives in the cluster.</summary>
/// <param name="Name">The queue name.</param>
/// <param name="Type">The queue type: <c>classic</c> or <c>quorum</c>.</param>
/// <param name="LeaderNode">The node that holds the master (classic) or leader (quorum), e.g. <c>rabbit@rmq1</c>.</param>
/// <param name="Policy">The policy applied to the queue, e.g. <c>ha-all</c> on RabbitMQ 3; <see langword="null"/> if none (on RabbitMQ 4 the
/// cluster defines no policy).</param>
/// <param name="Mirrors">The nodes that hold a mirror (classic) or a follower (quorum), leader excluded.</param>
/// <param name="SynchronisedMirrors">The mirrors that hold every message the master holds; for quorum queues, the followers on a running
/// node (the management API's <c>online</c> members), which catch up with the leader's log by themselves.</param>
/// <param name="Messages">The number of messages in the queue as last reported by the broker.</param>
public sealed record QueueReplicaState(
    string Name,
    string Type,
    string? LeaderNode,
    string? Policy,
    IReadOnlyList<string> Mirrors,
    IReadOnlyList<string> SynchronisedMirrors,
    long Messages);
