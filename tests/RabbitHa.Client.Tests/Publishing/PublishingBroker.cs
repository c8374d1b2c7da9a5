using System.Reflection;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Tests.Publishing;

/// <summary>
/// Stands in for the publishing connection and the broker behind it, as RabbitMQ.Client 7 shows them to the
/// publisher: a confirm-tracking channel whose <c>BasicPublishAsync</c> completes on the ack, throws on a nack or a
/// return, and, when the broker closes the channel, fails every publish pending on it with the same
/// <see cref="AlreadyClosedException"/>. <see cref="Answer"/> decides what the broker does with each publish.
/// </summary>
internal sealed class PublishingBroker : IRabbitHaConnection
{
    private readonly object _gate = new();
    private readonly List<Publish> _publishes = [];
    private readonly List<Channel> _channels = [];
    private TaskCompletionSource _open = Completed();
    private int _channelCreationFailures;
    private Func<Exception>? _channelCreationFailure;

#pragma warning disable CS0067 // The publisher subscribes; these tests raise none of them.
    public event EventHandler<RabbitHaConnectionLostEventArgs>? ConnectionLost;
    public event EventHandler<RabbitHaConnectionRecoveredEventArgs>? ConnectionRecovered;
    public event EventHandler<RabbitHaRecoveryFailedEventArgs>? RecoveryFailed;
    public event EventHandler<RabbitHaConnectionBlockedEventArgs>? Blocked;
    public event EventHandler<RabbitHaConnectionUnblockedEventArgs>? Unblocked;
#pragma warning restore CS0067

    /// <summary>Gets or sets what the broker does with a publish; every publish is acked at once by default.</summary>
    public Func<Publish, BrokerAnswer> Answer { get; set; } = _ => BrokerAnswer.Ack;

    /// <summary>Gets every send that reached the broker, in order.</summary>
    public IReadOnlyList<Publish> Publishes
    {
        get
        {
            lock (_gate)
            {
                return _publishes.ToList();
            }
        }
    }

    public int ChannelsOpened
    {
        get
        {
            lock (_gate)
            {
                return _channels.Count;
            }
        }
    }

    /// <summary>Gets how many channels were closed (or aborted) before being disposed, as RabbitMQ.Client needs to forget them.</summary>
    public int ChannelsForgotten
    {
        get
        {
            lock (_gate)
            {
                return _channels.Count(c => c.Forgotten);
            }
        }
    }

    public int ChannelsDisposed
    {
        get
        {
            lock (_gate)
            {
                return _channels.Count(c => c.Disposed);
            }
        }
    }

    public RabbitHaConnectionState State { get; private set; } = RabbitHaConnectionState.Open;

    public bool IsBlocked => false;

    public string? BlockedReason => null;

    public string ClientProvidedName => "broker.publisher";

    public AmqpTcpEndpoint? CurrentEndpoint => null;

    public Version? BrokerVersion => null;

    /// <summary>Loses the connection (HAProxy refusing every node): channel creation waits until <see cref="Reconnect"/>.</summary>
    public void Disconnect()
    {
        lock (_gate)
        {
            State = RabbitHaConnectionState.Recovering;
            _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void Reconnect()
    {
        lock (_gate)
        {
            State = RabbitHaConnectionState.Open;
            _open.TrySetResult();
        }
    }

    /// <summary>Fails the next <paramref name="count"/> channel creations with what <paramref name="failure"/> makes.</summary>
    public void FailChannelCreations(int count, Func<Exception> failure)
    {
        lock (_gate)
        {
            _channelCreationFailures = count;
            _channelCreationFailure = failure;
        }
    }

    /// <summary>Acks every publish still waiting for its confirm.</summary>
    public void ConfirmAll()
    {
        foreach (var publish in Publishes)
        {
            publish.Confirm.TrySetResult();
        }
    }

    /// <summary>Completes when the connection is open: at once, or once a loss the test caused is over.</summary>
    public Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return _open.Task.WaitAsync(cancellationToken);
        }
    }

    public async Task<IChannel> CreateChannelAsync(CreateChannelOptions? options = null, CancellationToken cancellationToken = default)
    {
        await ConnectAsync(cancellationToken);
        lock (_gate)
        {
            if (_channelCreationFailures > 0)
            {
                _channelCreationFailures--;
                throw _channelCreationFailure!();
            }

            IChannel channel = DispatchProxy.Create<IChannel, Channel>();
            var fake = (Channel)(object)channel;
            fake.Broker = this;
            fake.Number = _channels.Count + 1;
            _channels.Add(fake);
            return channel;
        }
    }

    public ValueTask DisposeAsync() => default;

    private static TaskCompletionSource Completed()
    {
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.SetResult();
        return source;
    }

    private void Record(Publish publish)
    {
        lock (_gate)
        {
            _publishes.Add(publish);
        }
    }

    /// <summary>One send as the broker saw it.</summary>
    internal sealed class Publish(int channel, string exchange, string routingKey, ReadOnlyMemory<byte> body, BasicProperties properties)
    {
        public int Channel { get; } = channel;

        public string Exchange { get; } = exchange;

        public string RoutingKey { get; } = routingKey;

        public int BodySize { get; } = body.Length;

        public BasicProperties Properties { get; } = properties;

        public string MessageId => Properties.MessageId!;

        public bool Resent => Properties.Headers?.ContainsKey(RabbitHaHeaders.Resent) == true;

        public TaskCompletionSource Confirm { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>One channel: pending confirms, closed for good by <see cref="BrokerAnswer.CloseChannel"/>.</summary>
#pragma warning disable CA1852 // DispatchProxy derives from it at run time, so it cannot be sealed.
    public class Channel : DispatchProxy
#pragma warning restore CA1852
    {
        private readonly List<Publish> _pending = [];
        private ShutdownEventArgs? _closeReason;

        internal PublishingBroker Broker { get; set; } = null!;

        internal int Number { get; set; }

        internal bool Forgotten { get; private set; }

        internal bool Disposed { get; private set; }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
#pragma warning disable CA2012 // A dispatch proxy hands the ValueTask back boxed, to the caller.
            return targetMethod.Name switch
            {
                nameof(IChannel.BasicPublishAsync) => PublishAsync(args!),
                "get_" + nameof(IChannel.IsOpen) => CloseReason is null,
                "get_" + nameof(IChannel.CloseReason) => CloseReason,
                "get_" + nameof(IChannel.ChannelNumber) => Number,
                nameof(IChannel.CloseAsync) => CloseAsync(args!),
                nameof(IAsyncDisposable.DisposeAsync) => Dispose(),
                nameof(IDisposable.Dispose) => Dispose(),
                _ => throw new NotSupportedException(targetMethod.Name),
            };
#pragma warning restore CA2012
        }

        private ShutdownEventArgs? CloseReason
        {
            get
            {
                lock (_pending)
                {
                    return _closeReason;
                }
            }
        }

        private ValueTask PublishAsync(object?[] args)
        {
            var publish = new Publish(Number, (string)args[0]!, (string)args[1]!, (ReadOnlyMemory<byte>)args[4]!, (BasicProperties)args[3]!);
            var cancellationToken = (CancellationToken)args[5]!;
            lock (_pending)
            {
                if (_closeReason is { } reason)
                {
                    return ValueTask.FromException(new AlreadyClosedException(reason));
                }

                Broker.Record(publish);
                switch (Broker.Answer(publish))
                {
                    case { Kind: BrokerAnswer.AnswerKind.Ack }:
                        return ValueTask.CompletedTask;
                    case { Kind: BrokerAnswer.AnswerKind.Nack }:
                        return ValueTask.FromException(new PublishException(1, isReturn: false));
                    case { Kind: BrokerAnswer.AnswerKind.Return }:
                        return ValueTask.FromException(new PublishReturnException(1, "returned", publish.Exchange, publish.RoutingKey, 312, "NO_ROUTE"));
                    case { Kind: BrokerAnswer.AnswerKind.Throw } thrown:
                        return ValueTask.FromException(thrown.Exception!);
                    case { Kind: BrokerAnswer.AnswerKind.CloseChannel } close:
                        // As the broker does: the channel goes, and every confirm pending on it fails with the one reason.
                        _pending.Add(publish);
                        _closeReason = new ShutdownEventArgs(ShutdownInitiator.Peer, close.ReplyCode, close.ReplyText, 60, 40);
                        var failure = new AlreadyClosedException(_closeReason);
                        foreach (var pending in _pending)
                        {
                            pending.Confirm.TrySetException(failure);
                        }

                        _pending.Clear();
                        return new ValueTask(publish.Confirm.Task);
                    default:
                        _pending.Add(publish);
                        return new ValueTask(publish.Confirm.Task.WaitAsync(cancellationToken));
                }
            }
        }

        private Task CloseAsync(object?[] args)
        {
            Forgotten = true;
            var cancellationToken = args.OfType<CancellationToken>().FirstOrDefault();
            if (args is [ushort replyCode, string replyText, ..])
            {
                // The application closes an open channel (the publisher replacing one): it is closed from now on.
                lock (_pending)
                {
                    _closeReason ??= new ShutdownEventArgs(ShutdownInitiator.Application, replyCode, replyText);
                }

                return Task.CompletedTask;
            }

            // As RabbitMQ.Client does for a closed channel: nothing to send, and a cancelled token ends the wait at once.
            return CloseReason is not null && cancellationToken.IsCancellationRequested
                ? Task.FromCanceled(cancellationToken)
                : Task.CompletedTask;
        }

        private ValueTask Dispose()
        {
            if (CloseReason is null)
            {
                // An open channel is closed on the way, which forgets it too.
                Forgotten = true;
            }

            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>What the broker does with one publish.</summary>
internal sealed record BrokerAnswer(BrokerAnswer.AnswerKind Kind, ushort ReplyCode = 0, string ReplyText = "", Exception? Exception = null)
{
    public static BrokerAnswer Ack { get; } = new(AnswerKind.Ack);

    /// <summary>Gets the answer that keeps the publish waiting for its confirm until the test decides.</summary>
    public static BrokerAnswer Hold { get; } = new(AnswerKind.Hold);

    public static BrokerAnswer Nack { get; } = new(AnswerKind.Nack);

    public static BrokerAnswer Return { get; } = new(AnswerKind.Return);

    public static BrokerAnswer CloseChannel(ushort replyCode, string replyText) => new(AnswerKind.CloseChannel, replyCode, replyText);

    public static BrokerAnswer Throw(Exception exception) => new(AnswerKind.Throw, Exception: exception);

    internal enum AnswerKind
    {
        Ack,
        Hold,
        Nack,
        Return,
        CloseChannel,
        Throw,
    }
}
