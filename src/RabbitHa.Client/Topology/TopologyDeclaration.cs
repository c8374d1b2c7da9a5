using RabbitMQ.Client;

namespace RabbitHa.Client.Internal.Topology;

/// <summary>
/// One exchange, queue or binding to declare: what it is called in logs, metrics and the health check, and how to
/// declare it again. Built from the options at connect, or from what RabbitMQ.Client recorded when recovery is refused.
/// </summary>
internal sealed class TopologyDeclaration
{
    private readonly Func<IChannel, CancellationToken, Task> _declare;

    private TopologyDeclaration(TopologyEntityKind kind, string description, Func<IChannel, CancellationToken, Task> declare)
    {
        Kind = kind;
        Description = description;
        _declare = declare;
    }

    public TopologyEntityKind Kind { get; }

    /// <summary>Gets the entity as a reader would name it, such as <c>queue 'orders'</c>; two declarations of the same entity have the same one.</summary>
    public string Description { get; }

    public static TopologyDeclaration Exchange(string name, string type, bool durable, bool autoDelete, IDictionary<string, object?>? arguments)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(type);
        Dictionary<string, object?>? copy = Copy(arguments);
        return new TopologyDeclaration(TopologyEntityKind.Exchange, $"exchange '{name}'",
            (channel, token) => channel.ExchangeDeclareAsync(name, type, durable, autoDelete, copy, cancellationToken: token));
    }

    public static TopologyDeclaration Queue(string name, bool durable, bool exclusive, bool autoDelete, IDictionary<string, object?>? arguments)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Dictionary<string, object?>? copy = Copy(arguments);
        return new TopologyDeclaration(TopologyEntityKind.Queue, $"queue '{name}'",
            (channel, token) => channel.QueueDeclareAsync(name, durable, exclusive, autoDelete, copy, cancellationToken: token));
    }

    public static TopologyDeclaration QueueBinding(string queue, string exchange, string routingKey, IDictionary<string, object?>? arguments)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(routingKey);
        Dictionary<string, object?>? copy = Copy(arguments);
        return new TopologyDeclaration(TopologyEntityKind.Binding,
            $"binding of queue '{queue}' to exchange '{exchange}' (routing key '{routingKey}')",
            (channel, token) => channel.QueueBindAsync(queue, exchange, routingKey, copy, cancellationToken: token));
    }

    public static TopologyDeclaration ExchangeBinding(string destination, string source, string routingKey, IDictionary<string, object?>? arguments)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(routingKey);
        Dictionary<string, object?>? copy = Copy(arguments);
        return new TopologyDeclaration(TopologyEntityKind.Binding,
            $"binding of exchange '{destination}' to exchange '{source}' (routing key '{routingKey}')",
            (channel, token) => channel.ExchangeBindAsync(destination, source, routingKey, copy, cancellationToken: token));
    }

    /// <summary>Declares the entity; the broker's refusal closes <paramref name="channel"/> and surfaces as an exception (see <see cref="TopologyRefusal"/>).</summary>
    public Task DeclareAsync(IChannel channel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return _declare(channel, cancellationToken);
    }

    public override string ToString() => Description;

    // The caller's dictionary may change later (options, or RabbitMQ.Client's record); the retry must send what was refused.
    private static Dictionary<string, object?>? Copy(IDictionary<string, object?>? arguments) =>
        arguments is null || arguments.Count == 0 ? null : new Dictionary<string, object?>(arguments, StringComparer.Ordinal);
}
