using RabbitHa.Client;
using RabbitHa.Client.Internal.Publishing;

namespace RabbitHa.Client.Internal.DependencyInjection;

/// <summary>
/// The publisher the container built, once it has: stopping the host stops it, and must not build one to do so
/// (a publisher nobody asked for would open a channel on a connection that is closing).
/// </summary>
internal sealed class CreatedPublisher
{
    private RabbitHaPublisher? _publisher;

    public RabbitHaPublisher? Publisher => Volatile.Read(ref _publisher);

    public RabbitHaPublisher Remember(RabbitHaPublisher publisher)
    {
        Volatile.Write(ref _publisher, publisher);
        return publisher;
    }
}
