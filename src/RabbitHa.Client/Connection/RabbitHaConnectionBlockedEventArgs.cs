namespace RabbitHa.Client;

/// <summary>What <see cref="IRabbitHaConnection.Blocked"/> reports: why the broker blocks publishing on the connection.</summary>
public sealed class RabbitHaConnectionBlockedEventArgs : EventArgs
{
    /// <summary>Initializes a new instance of the <see cref="RabbitHaConnectionBlockedEventArgs"/> class.</summary>
    /// <param name="reason">The broker's reason.</param>
    /// <exception cref="ArgumentNullException"><paramref name="reason"/> is <see langword="null"/>.</exception>
    public RabbitHaConnectionBlockedEventArgs(string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        Reason = reason;
    }

    /// <summary>Gets the broker's reason, such as <c>low on memory</c> or <c>low on disk</c> (a resource alarm on some node of the cluster).</summary>
    public string Reason { get; }
}
