using System.Collections.Concurrent;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace RabbitHa.Client.Tests.Consuming;

/// <summary>
/// A connection to a broker that only knows which queues exist: its channels (<see cref="RecordingChannel"/>) answer
/// passive and active queue declarations from that, and record the order of what was asked.
/// </summary>
internal sealed class FakeBrokerConnection : IRabbitHaConnection
{
    private readonly ConcurrentDictionary<string, DeclaredQueue> _queues = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _operations = new();
    private readonly List<RecordingChannel> _subscriptionChannels = [];

#pragma warning disable CS0067 // No broker events in these tests.
    public event EventHandler<RabbitHaConnectionLostEventArgs>? ConnectionLost;
    public event EventHandler<RabbitHaConnectionRecoveredEventArgs>? ConnectionRecovered;
    public event EventHandler<RabbitHaRecoveryFailedEventArgs>? RecoveryFailed;
    public event EventHandler<RabbitHaConnectionBlockedEventArgs>? Blocked;
    public event EventHandler<RabbitHaConnectionUnblockedEventArgs>? Unblocked;
#pragma warning restore CS0067

    /// <summary>Gets or sets the broker's answer to every non-passive queue declaration, or <see langword="null"/> to accept them.</summary>
    public ShutdownEventArgs? DeclareRefusal { get; set; }

    /// <summary>
    /// Gets or sets what opening a channel with options (a subscription's) throws; <see langword="null"/> opens one (see
    /// <see cref="SubscriptionChannels"/>). By default it throws: subscribing is not what most of these tests are about.
    /// </summary>
    public Exception? SubscriptionChannelFailure { get; set; } = new RabbitHaConnectionException("no subscriptions in this test");

    /// <summary>Gets or sets what <c>basic.consume</c> throws on a subscription's channel (a missing queue), or <see langword="null"/> to subscribe.</summary>
    public Exception? ConsumeFailure { get; set; }

    /// <summary>Gets the subscriptions' channels, in the order they were opened.</summary>
    public IReadOnlyList<RecordingChannel> SubscriptionChannels
    {
        get
        {
            lock (_subscriptionChannels)
            {
                return [.. _subscriptionChannels];
            }
        }
    }

    /// <summary>Gets or sets how many of the next channels (other than a subscription's) fail to open, as while the connection is down.</summary>
    public int ChannelFailures { get; set; }

    /// <summary>Gets what was asked, in order: <c>passive q</c>, <c>declare q</c>, <c>subscribe</c>.</summary>
    public IReadOnlyList<string> Operations => _operations.ToArray();

    public IReadOnlyCollection<DeclaredQueue> Queues => _queues.Values.ToArray();

    public RabbitHaConnectionState State => RabbitHaConnectionState.Open;

    public bool IsBlocked => false;

    public string? BlockedReason => null;

    public string ClientProvidedName => "fake-broker";

    public AmqpTcpEndpoint? CurrentEndpoint => null;

    /// <summary>Gets or sets the RabbitMQ version the broker reports; <see langword="null"/> (unknown) by default, which RabbitHa takes for RabbitMQ 3.</summary>
    public Version? BrokerVersion { get; set; }

    public void AddQueue(DeclaredQueue queue) => _queues[queue.Name] = queue;

    public bool HasQueue(string name) => _queues.ContainsKey(name);

    public void RemoveQueue(string name) => _queues.TryRemove(name, out _);

    public void Record(string operation) => _operations.Enqueue(operation);

    public Task ConnectAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<IChannel> CreateChannelAsync(CreateChannelOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (options is not null)
        {
            Record("subscribe");
            if (SubscriptionChannelFailure is { } failure)
            {
                return Task.FromException<IChannel>(failure);
            }

            (IChannel subscription, RecordingChannel subscriptionRecorder) = RecordingChannel.Create();
            subscriptionRecorder.Broker = this;
            lock (_subscriptionChannels)
            {
                _subscriptionChannels.Add(subscriptionRecorder);
            }

            return Task.FromResult(subscription);
        }

        if (ChannelFailures > 0)
        {
            ChannelFailures--;
            Record("channel failed");
            return Task.FromException<IChannel>(new RabbitHaConnectionException("the connection is down for the test"));
        }

        (IChannel channel, RecordingChannel recorder) = RecordingChannel.Create();
        recorder.Broker = this;
        return Task.FromResult(channel);
    }

    public ValueTask DisposeAsync() => default;

    public sealed record DeclaredQueue(string Name, bool Durable, bool Exclusive, bool AutoDelete, IDictionary<string, object?>? Arguments);
}
