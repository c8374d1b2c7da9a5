using RabbitMQ.Client;

namespace RabbitHa.Client.Internal.Connection;

/// <summary>
/// Hands RabbitMQ.Client the endpoints in the order given: the HAProxy endpoint first, then the fallbacks.
/// </summary>
/// <remarks>
/// RabbitMQ.Client's <see cref="DefaultEndpointResolver"/> shuffles, which would send a share of the first
/// connects and recoveries straight to a node even while the proxy is up. The same resolver is used for
/// the first connect and for every recovery attempt.
/// </remarks>
internal sealed class OrderedEndpointResolver : IEndpointResolver
{
    private readonly AmqpTcpEndpoint[] _endpoints;

    public OrderedEndpointResolver(IEnumerable<AmqpTcpEndpoint> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        _endpoints = endpoints.ToArray();
        if (_endpoints.Length == 0)
        {
            throw new ArgumentException("At least one endpoint is required.", nameof(endpoints));
        }
    }

    public IEnumerable<AmqpTcpEndpoint> All() => _endpoints;
}
