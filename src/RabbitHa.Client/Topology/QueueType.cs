namespace RabbitHa.Client;

/// <summary>The kind of queue to declare.</summary>
public enum QueueType
{
    /// <summary>
    /// A classic queue, declared without <c>x-queue-type</c> so that it stays equivalent to queues declared
    /// by other clients. On the RabbitHa cluster the <c>ha-all</c> policy mirrors it to every node.
    /// </summary>
    Classic = 0,

    /// <summary>A quorum queue (<c>x-queue-type = quorum</c>): replicated by Raft; must be durable, not exclusive, not auto-delete.</summary>
    Quorum = 1,
}
