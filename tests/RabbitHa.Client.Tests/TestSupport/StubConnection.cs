using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace RabbitHa.Client.Tests.TestSupport;

/// <summary>A connection state to read, for the health check; it has no behaviour to stand in for.</summary>
internal sealed class StubConnection : IRabbitHaConnection
{
#pragma warning disable CS0067 // The stub never raises events.
    public event EventHandler<ShutdownEventArgs>? ConnectionLost;
    public event EventHandler? ConnectionRecovered;
    public event EventHandler<ConnectionRecoveryErrorEventArgs>? RecoveryFailed;
    public event EventHandler<ConnectionBlockedEventArgs>? Blocked;
    public event EventHandler? Unblocked;
#pragma warning restore CS0067

    public ConnectionState State { get; set; }

    public bool IsBlocked => BlockedReason is not null;

    public string? BlockedReason { get; set; }

    public string ClientProvidedName { get; set; } = "stub";

    public AmqpTcpEndpoint? CurrentEndpoint { get; set; }

    public Task ConnectAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task WaitUntilOpenAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<IChannel> CreateChannelAsync(CreateChannelOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public ValueTask DisposeAsync() => default;
}
