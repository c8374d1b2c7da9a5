namespace RabbitHa.Client;

/// <summary>What <see cref="IRabbitHaConnection.Unblocked"/> reports: how long the block lasted.</summary>
public sealed class RabbitHaConnectionUnblockedEventArgs : EventArgs
{
    /// <summary>Initializes a new instance of the <see cref="RabbitHaConnectionUnblockedEventArgs"/> class.</summary>
    /// <param name="blockedFor">How long the connection was blocked.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="blockedFor"/> is negative.</exception>
    public RabbitHaConnectionUnblockedEventArgs(TimeSpan blockedFor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockedFor, TimeSpan.Zero);
        BlockedFor = blockedFor;
    }

    /// <summary>Gets how long the connection was blocked, from the broker's block to its end (the broker lifted it, or the connection was lost or closed).</summary>
    public TimeSpan BlockedFor { get; }
}
