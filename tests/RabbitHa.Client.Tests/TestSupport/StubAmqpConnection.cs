using System.Reflection;
using System.Text;
using RabbitHa.Client.Internal.Connection;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace RabbitHa.Client.Tests.TestSupport;

/// <summary>
/// The RabbitMQ.Client connection that a <see cref="RabbitHaConnection"/> opens (through its
/// <see cref="RabbitHaConnection.ConnectionOpener"/>), built with <see cref="DispatchProxy"/>: it reports the server
/// properties the test sets, hands out a <see cref="DeclaringBroker"/>'s channels, and lets the test raise the events
/// RabbitMQ.Client's automatic recovery raises. Any other member throws.
/// </summary>
#pragma warning disable CA1852 // DispatchProxy derives from it at run time, so it cannot be sealed.
public class StubAmqpConnection : DispatchProxy
#pragma warning restore CA1852
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Delegate> _handlers = new(StringComparer.Ordinal);
    private bool _open = true;

    /// <summary>Gets or sets what the broker said in <c>connection.start</c>: after a recovery, the new node's properties.</summary>
    public IDictionary<string, object?>? ServerProperties { get; set; }

    internal DeclaringBroker Broker { get; private set; } = null!;

    /// <summary>A connection to <paramref name="broker"/> reporting <paramref name="product"/> and <paramref name="version"/>.</summary>
    internal static (IConnection Connection, StubAmqpConnection Stub) Create(DeclaringBroker broker, string? product, string? version)
    {
        IConnection connection = Create<IConnection, StubAmqpConnection>();
        var stub = (StubAmqpConnection)(object)connection;
        stub.Broker = broker;
        stub.ServerProperties = Properties(product, version);
        return (connection, stub);
    }

    /// <summary>Server properties as RabbitMQ.Client 7 hands them over: AMQP long strings as UTF-8 bytes; a <see langword="null"/> value is left out.</summary>
    public static Dictionary<string, object?> Properties(string? product, string? version)
    {
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["platform"] = Encoding.UTF8.GetBytes("Erlang/OTP 26.2.5"),
        };
        if (product is not null)
        {
            properties["product"] = Encoding.UTF8.GetBytes(product);
        }

        if (version is not null)
        {
            properties["version"] = Encoding.UTF8.GetBytes(version);
        }

        return properties;
    }

    /// <summary>The connection drops (for <paramref name="reason"/>, by default a broken socket) and RabbitMQ.Client starts recovering it, unless the reason says it will not.</summary>
    public Task LoseAsync(ShutdownEventArgs? reason = null) =>
        RaiseAsync(nameof(IConnection.ConnectionShutdownAsync), reason ?? new ShutdownEventArgs(ShutdownInitiator.Library, 541, "Unexpected Exception"));

    /// <summary>The broker blocks the connection (a resource alarm).</summary>
    public Task BlockAsync(string reason) => RaiseAsync(nameof(IConnection.ConnectionBlockedAsync), new ConnectionBlockedEventArgs(reason));

    /// <summary>The broker lifts the block.</summary>
    public Task UnblockAsync() => RaiseAsync(nameof(IConnection.ConnectionUnblockedAsync), AsyncEventArgs.Empty);

    /// <summary>RabbitMQ.Client's recovery reconnected (to the node whose <see cref="ServerProperties"/> are set now).</summary>
    public Task RecoverAsync() => RaiseAsync(nameof(IConnection.RecoverySucceededAsync), AsyncEventArgs.Empty);

    /// <summary>One attempt of RabbitMQ.Client's recovery failed with <paramref name="error"/>.</summary>
    public Task FailRecoveryAttemptAsync(Exception error) =>
        RaiseAsync(nameof(IConnection.ConnectionRecoveryErrorAsync), new ConnectionRecoveryErrorEventArgs(error));

    /// <summary>Gets a value indicating whether anybody listens to <paramref name="eventName"/> (a member name of <see cref="IConnection"/>).</summary>
    public bool HasHandlers(string eventName)
    {
        lock (_gate)
        {
            return _handlers.ContainsKey(eventName);
        }
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        ArgumentNullException.ThrowIfNull(args);
        string name = targetMethod.Name;
        if (name.StartsWith("add_", StringComparison.Ordinal) || name.StartsWith("remove_", StringComparison.Ordinal))
        {
            Subscribe(name, (Delegate)args[0]!);
            return null;
        }

#pragma warning disable CA2012 // A dispatch proxy hands the ValueTask back boxed, to the caller.
        return name switch
        {
            "get_" + nameof(IConnection.ServerProperties) => ServerProperties,
            "get_" + nameof(IConnection.Endpoint) => new AmqpTcpEndpoint("haproxy.stub", 5672),
            "get_" + nameof(IConnection.IsOpen) => _open,
            nameof(IConnection.CreateChannelAsync) => Broker.OpenChannelAsync((CancellationToken)args[1]!),
            nameof(IConnection.CloseAsync) => Close(),
            nameof(IAsyncDisposable.DisposeAsync) => (object)ValueTask.CompletedTask,
            nameof(IDisposable.Dispose) => null,
            _ => throw new NotSupportedException(name),
        };
#pragma warning restore CA2012
    }

    private Task Close()
    {
        _open = false;
        return Task.CompletedTask;
    }

    private void Subscribe(string accessor, Delegate handler)
    {
        bool add = accessor.StartsWith("add_", StringComparison.Ordinal);
        string eventName = accessor[(add ? 4 : 7)..];
        lock (_gate)
        {
            _handlers.TryGetValue(eventName, out Delegate? current);
            Delegate? next = add ? Delegate.Combine(current, handler) : Delegate.Remove(current, handler);
            if (next is null)
            {
                _handlers.Remove(eventName);
            }
            else
            {
                _handlers[eventName] = next;
            }
        }
    }

    private async Task RaiseAsync<TArgs>(string eventName, TArgs args)
        where TArgs : AsyncEventArgs
    {
        Delegate? handlers;
        lock (_gate)
        {
            _handlers.TryGetValue(eventName, out handlers);
        }

        foreach (AsyncEventHandler<TArgs> handler in handlers?.GetInvocationList().Cast<AsyncEventHandler<TArgs>>() ?? [])
        {
            await handler(this, args);
        }
    }
}
