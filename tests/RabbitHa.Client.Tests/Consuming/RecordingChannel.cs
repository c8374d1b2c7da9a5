using System.Reflection;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Tests.Consuming;

/// <summary>
/// An <see cref="IChannel"/> that records acknowledgements, built with <see cref="DispatchProxy"/> so that the
/// tests need not implement the whole interface. On a <see cref="FakeBrokerConnection"/> it also answers queue
/// declarations from the fake broker's queues, and takes a consumer (<c>basic.consume</c>) whose deliveries, cancel
/// and shutdown the test then raises. Any other member throws.
/// </summary>
public class RecordingChannel : DispatchProxy
{
    private readonly List<AsyncEventHandler<ShutdownEventArgs>> _shutdownHandlers = [];

    public List<(string Action, ulong DeliveryTag)> Settled { get; } = [];

    public bool Closed { get; set; }

    /// <summary>Gets the consumer subscribed on this channel, once it is.</summary>
    public IAsyncBasicConsumer? Consumer { get; private set; }

    public string? ConsumerTag { get; private set; }

    /// <summary>Gets the arguments of the last <c>basic.consume</c> on this channel.</summary>
    public IDictionary<string, object?>? ConsumeArguments { get; private set; }

    /// <summary>Gets or sets what closing (aborting) the channel throws, to prove that the supervisor survives it.</summary>
    public Exception? CloseFailure { get; set; }

    /// <summary>Gets how often the channel was closed (aborted).</summary>
    public int CloseCount { get; private set; }

    internal FakeBrokerConnection? Broker { get; set; }

    /// <summary>The channel goes down as RabbitMQ.Client reports it: closed, then its shutdown handlers run.</summary>
    public async Task ShutDownAsync(ShutdownEventArgs reason)
    {
        Closed = true;
        AsyncEventHandler<ShutdownEventArgs>[] handlers;
        lock (_shutdownHandlers)
        {
            handlers = [.. _shutdownHandlers];
        }

        foreach (AsyncEventHandler<ShutdownEventArgs> handler in handlers)
        {
            await handler(this, reason);
        }
    }

    /// <summary>What RabbitMQ.Client's recovery does to a channel: the same object opens again, numbering deliveries from 1.</summary>
    public void Recover() => Closed = false;

    /// <summary>Delivers a message to the channel's consumer, as RabbitMQ.Client's dispatcher does.</summary>
    public Task DeliverAsync(ulong deliveryTag, string messageId, string body = "x", bool redelivered = false) =>
        (Consumer ?? throw new InvalidOperationException("No consumer on this channel."))
            .HandleBasicDeliverAsync(ConsumerTag!, deliveryTag, redelivered, "", "orders", new BasicProperties { MessageId = messageId },
                System.Text.Encoding.UTF8.GetBytes(body));

    /// <summary>The broker cancels the consumer (its queue was deleted, or its master moved): the channel stays open.</summary>
    public Task CancelByBrokerAsync() =>
        (Consumer ?? throw new InvalidOperationException("No consumer on this channel.")).HandleBasicCancelAsync(ConsumerTag!);

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
            "add_" + nameof(IChannel.ChannelShutdownAsync) => AddShutdownHandler((AsyncEventHandler<ShutdownEventArgs>)args[0]!),
            "remove_" + nameof(IChannel.ChannelShutdownAsync) => RemoveShutdownHandler((AsyncEventHandler<ShutdownEventArgs>)args[0]!),
            "add_" + nameof(IChannel.CallbackExceptionAsync) or "remove_" + nameof(IChannel.CallbackExceptionAsync) => null,
            nameof(IChannel.BasicQosAsync) => Task.CompletedTask,
            nameof(IChannel.BasicConsumeAsync) => Consume((IDictionary<string, object?>?)args[5], (IAsyncBasicConsumer)args[6]!),
            nameof(IChannel.BasicCancelAsync) => Task.CompletedTask,
            nameof(IChannel.CloseAsync) => Close(),
            nameof(IAsyncDisposable.DisposeAsync) => (object)Dispose(),
            nameof(IDisposable.Dispose) => null,
            _ => throw new NotSupportedException(targetMethod.Name),
        };
#pragma warning restore CA2012
    }

    private object? AddShutdownHandler(AsyncEventHandler<ShutdownEventArgs> handler)
    {
        lock (_shutdownHandlers)
        {
            _shutdownHandlers.Add(handler);
        }

        return null;
    }

    private object? RemoveShutdownHandler(AsyncEventHandler<ShutdownEventArgs> handler)
    {
        lock (_shutdownHandlers)
        {
            _shutdownHandlers.Remove(handler);
        }

        return null;
    }

    private Task<string> Consume(IDictionary<string, object?>? arguments, IAsyncBasicConsumer consumer)
    {
        ConsumeArguments = arguments;
        FakeBrokerConnection broker = Broker ?? throw new NotSupportedException("Consuming needs a FakeBrokerConnection.");
        if (broker.ConsumeFailure is { } failure)
        {
            Closed = true;
            return Task.FromException<string>(failure);
        }

        Consumer = consumer;
        ConsumerTag = "ctag-" + Guid.NewGuid().ToString("N")[..8];
        return Task.FromResult(ConsumerTag);
    }

    private Task Close()
    {
        CloseCount++;
        Closed = true;
        return CloseFailure is { } failure ? Task.FromException(failure) : Task.CompletedTask;
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
