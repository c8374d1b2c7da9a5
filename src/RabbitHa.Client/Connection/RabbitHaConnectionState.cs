namespace RabbitHa.Client;

/// <summary>Where the RabbitHa connection stands.</summary>
public enum RabbitHaConnectionState
{
    /// <summary>Not connected and not trying to: not started yet, the first connect failed, or the broker closed it for good (such as access refused). The next <see cref="IRabbitHaConnection.ConnectAsync"/> or channel request connects again.</summary>
    Disconnected = 0,

    /// <summary>The first connect is under way, retrying transient failures until the start-up timeout.</summary>
    Connecting = 1,

    /// <summary>Open: channels can be created.</summary>
    Open = 2,

    /// <summary>Lost; RabbitMQ.Client's automatic recovery is reconnecting (HAProxy first, then the fallbacks) and re-declaring the topology.</summary>
    Recovering = 3,

    /// <summary>Closed by the application (disposed or the host stopped). Final.</summary>
    Closed = 4,
}
