using RabbitMQ.Client;

namespace RabbitHa.Client;

/// <summary>What <see cref="IRabbitHaConnection.ConnectionRecovered"/> reports: where the connection is open again.</summary>
/// <remarks>
/// Handlers run after the fact (see <see cref="IRabbitHaConnection"/>): by then the connection may have been lost again, and
/// <see cref="IRabbitHaConnection.CurrentEndpoint"/> no longer say where it recovered. <see cref="Endpoint"/> does.
/// </remarks>
public sealed class RabbitHaConnectionRecoveredEventArgs : EventArgs
{
    /// <summary>Initializes a new instance of the <see cref="RabbitHaConnectionRecoveredEventArgs"/> class.</summary>
    /// <param name="endpoint">The endpoint the connection recovered on.</param>
    /// <exception cref="ArgumentNullException"><paramref name="endpoint"/> is <see langword="null"/>.</exception>
    public RabbitHaConnectionRecoveredEventArgs(AmqpTcpEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        Endpoint = endpoint;
    }

    /// <summary>
    /// Gets the endpoint the connection recovered on: HAProxy, or a fallback node when HAProxy could not be reached. The
    /// same type as <see cref="IRabbitHaConnection.CurrentEndpoint"/>; its <see cref="AmqpTcpEndpoint.ToString"/> is
    /// <c>amqp://host:port</c> (or <c>amqps://</c>).
    /// </summary>
    public AmqpTcpEndpoint Endpoint { get; }
}
