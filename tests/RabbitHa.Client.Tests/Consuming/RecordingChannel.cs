using System.Reflection;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Tests.Consuming;

/// <summary>
/// An <see cref="IChannel"/> that records acknowledgements, built with <see cref="DispatchProxy"/> so that the
/// tests need not implement the whole interface. On a <see cref="FakeBrokerConnection"/> it also answers queue
/// declarations from the fake broker's queues. Any other member throws.
/// </summary>
public class RecordingChannel : DispatchProxy
{
    public List<(string Action, ulong DeliveryTag)> Settled { get; } = [];

    public bool Closed { get; set; }

    internal FakeBrokerConnection? Broker { get; set; }

    public static (IChannel Channel, RecordingChannel Recorder) Create()
    {
        IChannel channel = Create<IChannel, RecordingChannel>();
        return (channel, (RecordingChannel)(object)channel);
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        ArgumentNullException.ThrowIfNull(args);
        // A dispatch proxy hands the ValueTask back boxed: it is returned to the caller, never consumed here.
#pragma warning disable CA2012
        return targetMethod.Name switch
        {
            nameof(IChannel.BasicAckAsync) => (object)Settle("ack", (ulong)args[0]!),
            nameof(IChannel.BasicNackAsync) => (object)Settle((bool)args[2]! ? "requeue" : "dead-letter", (ulong)args[0]!),
            nameof(IChannel.QueueDeclarePassiveAsync) => DeclarePassive((string)args[0]!),
            nameof(IChannel.QueueDeclareAsync) => Declare((string)args[0]!, (bool)args[1]!, (bool)args[2]!, (bool)args[3]!, (IDictionary<string, object?>?)args[4]),
            "get_" + nameof(IChannel.IsOpen) => !Closed,
            nameof(IAsyncDisposable.DisposeAsync) => (object)Dispose(),
            nameof(IDisposable.Dispose) => null,
            _ => throw new NotSupportedException(targetMethod.Name),
        };
#pragma warning restore CA2012
    }

    private ValueTask Settle(string action, ulong deliveryTag)
    {
        if (Closed)
        {
            return new ValueTask(Task.FromException(new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Library, 0, "closed for the test"))));
        }

        lock (Settled)
        {
            Settled.Add((action, deliveryTag));
        }

        return new ValueTask(Task.CompletedTask);
    }

    private Task<QueueDeclareOk> DeclarePassive(string queue)
    {
        FakeBrokerConnection broker = Broker ?? throw new NotSupportedException("Queue declarations need a FakeBrokerConnection.");
        broker.Record($"passive {queue}");
        if (broker.HasQueue(queue))
        {
            return Task.FromResult(new QueueDeclareOk(queue, 0, 0));
        }

        // What RabbitMQ does: 404, and the channel is closed.
        Closed = true;
        return Task.FromException<QueueDeclareOk>(new OperationInterruptedException(
            new ShutdownEventArgs(ShutdownInitiator.Peer, Constants.NotFound, $"NOT_FOUND - no queue '{queue}' in vhost '/'")));
    }

    private Task<QueueDeclareOk> Declare(string queue, bool durable, bool exclusive, bool autoDelete, IDictionary<string, object?>? arguments)
    {
        FakeBrokerConnection broker = Broker ?? throw new NotSupportedException("Queue declarations need a FakeBrokerConnection.");
        broker.Record($"declare {queue}");
        if (broker.DeclareRefusal is { } refusal)
        {
            Closed = true;
            return Task.FromException<QueueDeclareOk>(new OperationInterruptedException(refusal));
        }

        broker.AddQueue(new FakeBrokerConnection.DeclaredQueue(queue, durable, exclusive, autoDelete, arguments));
        return Task.FromResult(new QueueDeclareOk(queue, 0, 0));
    }

    private ValueTask Dispose()
    {
        Closed = true;
        return ValueTask.CompletedTask;
    }
}
