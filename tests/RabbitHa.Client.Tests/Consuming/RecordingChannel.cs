using System.Reflection;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Tests.Consuming;

/// <summary>
/// An <see cref="IChannel"/> that records acknowledgements, built with <see cref="DispatchProxy"/> so that the
/// tests need not implement the whole interface. Any other member throws.
/// </summary>
public class RecordingChannel : DispatchProxy
{
    public List<(string Action, ulong DeliveryTag)> Settled { get; } = [];

    public bool Closed { get; set; }

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
}
