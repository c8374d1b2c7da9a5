using RabbitHa.Client;
using RabbitHa.Client.Internal.Consuming;

namespace RabbitHa.Client.Internal.DependencyInjection;

/// <summary>One consumer added with <c>AddConsumer</c>: its name (the queue, which also names its options) and how to call its handler.</summary>
internal sealed class ConsumerRegistration
{
    public ConsumerRegistration(string name, Type handlerType, Type messageType, Func<IServiceProvider, IMessageInvoker> createInvoker)
    {
        Name = name;
        HandlerType = handlerType;
        MessageType = messageType;
        CreateInvoker = createInvoker;
    }

    public string Name { get; }

    public Type HandlerType { get; }

    public Type MessageType { get; }

    public Func<IServiceProvider, IMessageInvoker> CreateInvoker { get; }
}
