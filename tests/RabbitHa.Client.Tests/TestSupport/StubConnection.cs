using RabbitMQ.Client;

namespace RabbitHa.Client.Tests.TestSupport;

/// <summary>
/// A connection state to read (for the health check) and block/unblock events to raise (for the publisher's
/// gate); it has no broker behaviour to stand in for.
/// </summary>
internal sealed class StubConnection : IRabbitHaConnection
{
#pragma warning disable CS0067 // The stub raises only the events its tests need.
    public event EventHandler<RabbitHaConnectionLostEventArgs>? ConnectionLost;
    public event EventHandler<RabbitHaConnectionRecoveredEventArgs>? ConnectionRecovered;
    public event EventHandler<RabbitHaRecoveryFailedEventArgs>? RecoveryFailed;
#pragma warning restore CS0067
    public event EventHandler<RabbitHaConnectionBlockedEventArgs>? Blocked;
    public event EventHandler<RabbitHaConnectionUnblockedEventArgs>? Unblocked;

    public void RaiseBlocked(string reason)
    {
        BlockedReason = reason;
        Blocked?.Invoke(this, new RabbitHaConnectionBlockedEventArgs(reason));
    }

    public void RaiseUnblocked()
    {
        BlockedReason = null;
        Unblocked?.Invoke(this, new RabbitHaConnectionUnblockedEventArgs(TimeSpan.FromSeconds(1)));
    }

    public RabbitHaConnectionState State { get; set; }

    public bool IsBlocked => BlockedReason is not null;

    public string? BlockedReason { get; set; }

    public string ClientProvidedName { get; set; } = "stub";

    public AmqpTcpEndpoint? CurrentEndpoint { get; set; }

    public Version? BrokerVersion { get; set; }

    public Task ConnectAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<IChannel> CreateChannelAsync(CreateChannelOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public ValueTask DisposeAsync() => default;
}
