using System.Reflection;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Tests.TestSupport;

/// <summary>
/// Stands in for the broker's answers to exchange, queue and binding declarations: it records each one, refuses the
/// names it is told to refuse the way RabbitMQ does (the channel closed with a reply code), and hands out channels
/// built with <see cref="DispatchProxy"/>. A refused channel refuses everything after, as a closed channel does.
/// </summary>
internal sealed class DeclaringBroker
{
    private readonly object _gate = new();
    private readonly Dictionary<string, (ushort Code, string Text, ushort ClassId)> _refusals = new(StringComparer.Ordinal);
    private readonly List<string> _declared = [];
    private readonly List<string> _attempted = [];
    private readonly HashSet<string> _lostAt = new(StringComparer.Ordinal);
    private int _channelsOpened;

    /// <summary>Gets the names declared successfully, in order, as <c>exchange:x</c>, <c>queue:q</c>, <c>qbind:q&lt;-x</c>, <c>xbind:d&lt;-s</c>.</summary>
    public IReadOnlyList<string> Declared
    {
        get
        {
            lock (_gate)
            {
                return _declared.ToList();
            }
        }
    }

    /// <summary>Gets every declaration attempted, accepted or not, in order.</summary>
    public IReadOnlyList<string> Attempted
    {
        get
        {
            lock (_gate)
            {
                return _attempted.ToList();
            }
        }
    }

    public int ChannelsOpened => Volatile.Read(ref _channelsOpened);

    /// <summary>Refuses the declaration recorded as <paramref name="name"/> (see <see cref="Declared"/>) from now on.</summary>
    public void Refuse(string name, ushort replyCode = Constants.PreconditionFailed, string? replyText = null)
    {
        lock (_gate)
        {
            ushort classId = name.StartsWith("exchange:", StringComparison.Ordinal) || name.StartsWith("xbind:", StringComparison.Ordinal) ? (ushort)40 : (ushort)50;
            _refusals[name] = (replyCode, replyText ?? $"PRECONDITION_FAILED - inequivalent arg 'x-max-length' for {name}", classId);
        }
    }

    /// <summary>Loses the connection under the declaration recorded as <paramref name="name"/>, as a node dying would.</summary>
    public void LoseConnectionAt(string name)
    {
        lock (_gate)
        {
            _lostAt.Add(name);
        }
    }

    /// <summary>Accepts the declaration recorded as <paramref name="name"/> from now on: no refusal, no lost connection.</summary>
    public void Accept(string name)
    {
        lock (_gate)
        {
            _refusals.Remove(name);
            _lostAt.Remove(name);
        }
    }

    public Task<IChannel> OpenChannelAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref _channelsOpened);
        IChannel channel = DispatchProxy.Create<IChannel, Channel>();
        ((Channel)(object)channel).Broker = this;
        return Task.FromResult(channel);
    }

    private Exception? Declare(string name)
    {
        lock (_gate)
        {
            _attempted.Add(name);
            if (_lostAt.Contains(name))
            {
                return new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Library, Constants.InternalError, "End of stream"));
            }

            if (_refusals.TryGetValue(name, out (ushort Code, string Text, ushort ClassId) refusal))
            {
                return new OperationInterruptedException(new ShutdownEventArgs(ShutdownInitiator.Peer, refusal.Code, refusal.Text, refusal.ClassId, 10));
            }

            _declared.Add(name);
            return null;
        }
    }

    /// <summary>One channel: answers declarations through its broker until one is refused, then is closed.</summary>
#pragma warning disable CA1852 // DispatchProxy derives from it at run time, so it cannot be sealed.
    public class Channel : DispatchProxy
#pragma warning restore CA1852
    {
        private ShutdownEventArgs? _closeReason;

        internal DeclaringBroker Broker { get; set; } = null!;

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            ArgumentNullException.ThrowIfNull(args);
#pragma warning disable CA2012 // A dispatch proxy hands the ValueTask back boxed, to the caller.
            return targetMethod.Name switch
            {
                nameof(IChannel.ExchangeDeclareAsync) => Answer($"exchange:{args[0]}", result: null),
                nameof(IChannel.QueueDeclareAsync) => Answer($"queue:{args[0]}", new QueueDeclareOk((string)args[0]!, 0, 0)),
                nameof(IChannel.QueueBindAsync) => Answer($"qbind:{args[0]}<-{args[1]}", result: null),
                nameof(IChannel.ExchangeBindAsync) => Answer($"xbind:{args[0]}<-{args[1]}", result: null),
                "get_" + nameof(IChannel.IsOpen) => _closeReason is null,
                nameof(IAsyncDisposable.DisposeAsync) => (object)ValueTask.CompletedTask,
                nameof(IDisposable.Dispose) => null,
                _ => throw new NotSupportedException(targetMethod.Name),
            };
#pragma warning restore CA2012
        }

        private object Answer(string name, QueueDeclareOk? result)
        {
            Exception? refusal = _closeReason is { } reason
                ? new AlreadyClosedException(reason)
                : Broker.Declare(name);
            if (refusal is OperationInterruptedException { ShutdownReason: { } closed })
            {
                _closeReason = closed;
            }

            if (result is null)
            {
                return refusal is null ? Task.CompletedTask : Task.FromException(refusal);
            }

            return refusal is null ? Task.FromResult(result) : Task.FromException<QueueDeclareOk>(refusal);
        }
    }
}
