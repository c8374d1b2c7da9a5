namespace RabbitHa.Client.Internal.Topology;

/// <summary>What a declaration declares, in the order declarations are made: a queue needs its dead-letter exchange, a binding both ends.</summary>
internal enum TopologyEntityKind
{
    Exchange = 0,
    Queue = 1,
    Binding = 2,
}
