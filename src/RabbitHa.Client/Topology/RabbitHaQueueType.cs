namespace RabbitHa.Client;

/// <summary>The kind of queue to declare.</summary>
public enum RabbitHaQueueType
{
    /// <summary>
    /// A classic queue, declared without <c>x-queue-type</c> so that it stays equivalent to queues declared
    /// by other clients. On RabbitMQ 3 the RabbitHa cluster's <c>ha-all</c> policy mirrors it to every node. RabbitMQ 4
    /// removed mirroring: there it lives on one node, and losing that node loses it and its messages (RabbitHa logs a
    /// warning for each durable one in the topology). Use <see cref="Quorum"/> on RabbitMQ 4.
    /// </summary>
    Classic = 0,

    /// <summary>A quorum queue (<c>x-queue-type = quorum</c>): replicated by Raft; must be durable, not exclusive, not auto-delete.</summary>
    Quorum = 1,
}
