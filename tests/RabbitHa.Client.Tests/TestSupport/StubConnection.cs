using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace RabbitHa.Client.Tests.TestSupport;

/// <summary>
/// A connection state to read (for the health check) and block/unblock events to raise (for the publisher's
/// gate); it has no broker behaviour to stand in for.
/// </summary>
internal sealed class StubConnection : IRabbitHaConnection
{
#pragma warning disable CS0067 // The stub raises only the events its tests need.
    public event EventHandler<ShutdownEventArgs>? ConnectionLost;
    public event EventHandler? ConnectionRecovered;
    public event EventHandler<ConnectionRecoveryErrorEventArgs>? RecoveryFailed;
#pragma warning restore CS0067
    public event EventHandler<ConnectionBlockedEventArgs>? Blocked;
    public event EventHandler? Unblocked;

    public void RaiseBlocked(string reason)
    {
        BlockedReason = reason;
        Blocked?.Invoke(this, new ConnectionBlockedEventArgs(reason));
    }

    public void RaiseUnblocked()
    {
        BlockedReason = null;
        Unblocked?.Invoke(this, EventArgs.Empty);
    }

    public RabbitHaConnectionState State { get; set; }

    public bool IsBlocked => BlockedReason is not null;

    public string? BlockedReason { get; set; }

    public string ClientProvidedName { get; set; } = "stub";

    public AmqpTcpEndpoint? CurrentEndpoint { get; set; }

    public Version? BrokerVersion { get; set; }

    public Task ConnectAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task WaitUntilOpenAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<IChannel> CreateChannelAsync(CreateChannelOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public ValueTask DisposeAsync() => default;
}
