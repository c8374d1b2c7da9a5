using System.Diagnostics;
using System.Text;
using RabbitHa.Client.Internal.Publishing;
using RabbitMQ.Client;

namespace RabbitHa.Client.Internal.Diagnostics;

/// <summary>
/// RabbitHa's spans, on <see cref="RabbitHaDiagnostics.ActivitySourceName"/>: one per publish (kind Producer, or Client
/// when the message already carries a creation context), one per delivery a consumer processes (kind Consumer, a child of
/// the context the message carries), named and tagged as OpenTelemetry's messaging conventions for RabbitMQ say
/// (<c>docs/messaging/rabbitmq.md</c>, development status), and the events that show what RabbitHa did on the way.
/// </summary>
/// <remarks>
/// Nothing here costs anything without a listener: each start asks <see cref="ActivitySource.HasListeners"/> first.
/// </remarks>
internal static class RabbitHaTracing
{
    // OpenTelemetry's names.
    public const string MessagingSystem = "messaging.system";
    public const string OperationType = "messaging.operation.type";
    public const string OperationName = "messaging.operation.name";
    public const string DestinationName = "messaging.destination.name";
    public const string RoutingKey = "messaging.rabbitmq.destination.routing_key";
    public const string DeliveryTag = "messaging.rabbitmq.message.delivery_tag";
    public const string MessageId = "messaging.message.id";
    public const string ConversationId = "messaging.message.conversation_id";
    public const string ClientId = "messaging.client.id";
    public const string ServerAddress = "server.address";
    public const string ServerPort = "server.port";
    public const string ErrorType = "error.type";

    // RabbitHa's own.
    public const string PublishAttempts = "rabbitha.publish.attempts";
    public const string PublishAttempt = "rabbitha.publish.attempt";
    public const string ResendReason = "rabbitha.publish.resend_reason";
    public const string LastError = "rabbitha.publish.last_error";
    public const string ConsumerName = RabbitHaConsumerDiagnostics.ConsumerNameTag;
    public const string DeliveryAttempt = "rabbitha.delivery.attempt";
    public const string Redelivered = "rabbitha.delivery.redelivered";
    public const string DeliveryResent = "rabbitha.delivery.resent";
    public const string RequeueReason = "rabbitha.delivery.requeue.reason";
    public const string RequeueMethod = "rabbitha.delivery.requeue.method";
    public const string DeadLetterReason = "rabbitha.dead_letter.reason";
    public const string DeadLetterDestination = "rabbitha.dead_letter.queue";
    public const string HandlerTimeout = "rabbitha.handler.timeout";
    public const string HandlerAbandoned = "rabbitha.handler.abandoned";

    /// <summary>The default exchange's name in <c>messaging.destination.name</c> when there is no routing key either.</summary>
    private const string DefaultExchange = "amq.default";

    public static readonly ActivitySource Source = new(RabbitHaDiagnostics.ActivitySourceName, typeof(RabbitHaTracing).Assembly.GetName().Version?.ToString());

    /// <summary>
    /// Starts the span of one publish, a child of the caller's current activity, and leaves the caller's
    /// <see cref="Activity.Current"/> as it was: the span belongs to the publish's own flow, which the publisher enters
    /// around each send (a caller that starts several publishes must not find each one the parent of the next).
    /// </summary>
    /// <param name="exchange">The exchange; empty for the default exchange.</param>
    /// <param name="routingKey">The routing key.</param>
    /// <param name="properties">The message's properties, its message id set.</param>
    /// <param name="carried">The creation context the message already carries (a consumer's copy, or the caller's own), or default.</param>
    /// <param name="connectionName">The publishing connection's name.</param>
    /// <param name="endpoint">Where the publishing connection is connected, if it is.</param>
    /// <returns>The span, or <see langword="null"/> when nobody listens or the sampler declined it.</returns>
    public static Activity? StartPublish(string exchange, string routingKey, IReadOnlyBasicProperties properties, ActivityContext carried, string connectionName, AmqpTcpEndpoint? endpoint)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        string destination = PublishDestination(exchange, routingKey);
        var tags = new TagList
        {
            { MessagingSystem, "rabbitmq" },
            { OperationType, "send" },
            { OperationName, "publish" },
            { DestinationName, destination },
            { ClientId, connectionName },
        };
        AddMessageTags(ref tags, routingKey, properties);
        if (endpoint is not null)
        {
            tags.Add(ServerAddress, endpoint.HostName);
            tags.Add(ServerPort, endpoint.Port);
        }

        // The conventions: a message that already carries a creation context keeps it, and the send span is then of kind
        // Client and links to it; otherwise the send span's own context becomes the creation context (kind Producer).
        bool createsContext = carried == default;
        Activity? previous = Activity.Current;
        Activity? activity = Source.StartActivity(
            "publish " + destination,
            createsContext ? ActivityKind.Producer : ActivityKind.Client,
            parentContext: default,
            tags,
            links: createsContext ? null : [new ActivityLink(carried)]);
        Activity.Current = previous;
        return activity;
    }

    /// <summary>
    /// Starts the span of one delivery's processing and makes it the current activity of the caller's flow (the handler,
    /// and the copies published for it, run under it). Its parent is the creation context the message carries, to which
    /// it also links; a message without one starts a trace of its own, never a child of whatever happened to be current
    /// where the consumer's pump was started.
    /// </summary>
    public static Activity? StartProcess(
        string queue,
        string consumerName,
        string exchange,
        string routingKey,
        IReadOnlyBasicProperties properties,
        ulong deliveryTag,
        bool redelivered,
        bool resent,
        int attempt)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        ActivityContext creation = Extract(properties);
        string destination = ProcessDestination(exchange, routingKey, queue);
        var tags = new TagList
        {
            { MessagingSystem, "rabbitmq" },
            { OperationType, "process" },
            { OperationName, "process" },
            { DestinationName, destination },
            { DeliveryTag, deliveryTag > long.MaxValue ? long.MaxValue : (long)deliveryTag },
            { ConsumerName, consumerName },
            { DeliveryAttempt, attempt },
            { Redelivered, redelivered },
            { DeliveryResent, resent },
        };
        AddMessageTags(ref tags, routingKey, properties);

        Activity? previous = Activity.Current;
        Activity.Current = null;
        Activity? activity = Source.StartActivity(
            "process " + destination,
            ActivityKind.Consumer,
            creation,
            tags,
            links: creation == default ? null : [new ActivityLink(creation)]);
        if (activity is null)
        {
            Activity.Current = previous;
        }

        return activity;
    }

    /// <summary>
    /// The creation context a message carries in its headers: read by RabbitMQ.Client's
    /// <see cref="RabbitMQActivitySource.ContextExtractor"/> (the application's own, if it replaced it), which reads the
    /// byte arrays a delivery's headers hold; failing that, the same headers as strings, as a caller may set them before publishing.
    /// </summary>
    public static ActivityContext Extract(IReadOnlyBasicProperties properties)
    {
        if (properties.Headers is not { Count: > 0 } headers)
        {
            return default;
        }

        ActivityContext extracted = RabbitMQActivitySource.ContextExtractor(properties);
        if (extracted != default)
        {
            return extracted;
        }

        DistributedContextPropagator.Current.ExtractTraceIdAndState(headers, ReadHeader, out string? traceParent, out string? traceState);
        return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out ActivityContext context) ? context : default;
    }

    /// <summary>
    /// <c>messaging.destination.name</c> of a publish: <c>{exchange}:{routing key}</c>, or whichever of the two is not empty,
    /// or <c>amq.default</c>.
    /// </summary>
    public static string PublishDestination(string exchange, string routingKey) => (exchange.Length, routingKey.Length) switch
    {
        (> 0, > 0) => $"{exchange}:{routingKey}",
        (> 0, 0) => exchange,
        (0, > 0) => routingKey,
        _ => DefaultExchange,
    };

    /// <summary>
    /// <c>messaging.destination.name</c> of a delivery: <c>{exchange}:{routing key}:{queue}</c> without the empty parts, and
    /// the routing key only once when it is the queue's name (the default exchange's <c>orders</c>, not <c>orders:orders</c>).
    /// </summary>
    public static string ProcessDestination(string exchange, string routingKey, string queue)
    {
        var parts = new List<string>(3);
        if (exchange.Length > 0)
        {
            parts.Add(exchange);
        }

        if (routingKey.Length > 0 && !string.Equals(routingKey, queue, StringComparison.Ordinal))
        {
            parts.Add(routingKey);
        }

        if (queue.Length > 0)
        {
            parts.Add(queue);
        }

        return parts.Count == 0 ? DefaultExchange : string.Join(':', parts);
    }

    /// <summary>A send after the first: the event on the publish span.</summary>
    public static void Resent(Activity? activity, int attempt, string reason, string? lastError)
    {
        if (activity is not { IsAllDataRequested: true })
        {
            return;
        }

        var tags = new ActivityTagsCollection
        {
            [PublishAttempt] = attempt,
            [ResendReason] = reason,
        };
        if (lastError is not null)
        {
            tags[LastError] = lastError;
        }

        activity.AddEvent(new ActivityEvent(RabbitHaDiagnostics.PublishResentEvent, tags: tags));
    }

    public static void DuplicateDropped(Activity? activity)
    {
        if (activity is { IsAllDataRequested: true })
        {
            activity.AddEvent(new ActivityEvent(RabbitHaConsumerDiagnostics.DuplicateDroppedEvent));
        }
    }

    public static void Requeued(Activity? activity, int attempt, string reason, string method)
    {
        if (activity is { IsAllDataRequested: true })
        {
            activity.AddEvent(new ActivityEvent(RabbitHaConsumerDiagnostics.DeliveryRequeuedEvent, tags: new ActivityTagsCollection
            {
                [DeliveryAttempt] = attempt,
                [RequeueReason] = reason,
                [RequeueMethod] = method,
            }));
        }
    }

    public static void DeadLettered(Activity? activity, string reason, string destination)
    {
        if (activity is { IsAllDataRequested: true })
        {
            activity.AddEvent(new ActivityEvent(RabbitHaConsumerDiagnostics.DeadLetteredEvent, tags: new ActivityTagsCollection
            {
                [DeadLetterReason] = reason,
                [DeadLetterDestination] = destination,
            }));
        }
    }

    public static void Discarded(Activity? activity, string reason)
    {
        if (activity is { IsAllDataRequested: true })
        {
            activity.AddEvent(new ActivityEvent(RabbitHaConsumerDiagnostics.DiscardedEvent, tags: new ActivityTagsCollection
            {
                [DeadLetterReason] = reason,
            }));
        }
    }

    public static void HandlerTimedOut(Activity? activity, TimeSpan timeout, bool abandoned)
    {
        if (activity is { IsAllDataRequested: true })
        {
            activity.AddEvent(new ActivityEvent(RabbitHaConsumerDiagnostics.HandlerTimedOutEvent, tags: new ActivityTagsCollection
            {
                [HandlerTimeout] = timeout.TotalSeconds,
                [HandlerAbandoned] = abandoned,
            }));
        }
    }

    /// <summary>Marks the span failed, as OpenTelemetry's "recording errors" says: status Error, <c>error.type</c>, the exception as an event.</summary>
    public static void Failed(Activity? activity, string errorType, Exception exception)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetStatus(ActivityStatusCode.Error, exception.Message);
        if (activity.IsAllDataRequested)
        {
            activity.SetTag(ErrorType, errorType);
            activity.AddException(exception);
        }
    }

    private static void AddMessageTags(ref TagList tags, string routingKey, IReadOnlyBasicProperties properties)
    {
        if (routingKey.Length > 0)
        {
            tags.Add(RoutingKey, routingKey);
        }

        if (!string.IsNullOrEmpty(properties.MessageId))
        {
            tags.Add(MessageId, properties.MessageId);
        }

        if (!string.IsNullOrEmpty(properties.CorrelationId))
        {
            tags.Add(ConversationId, properties.CorrelationId);
        }
    }

    private static void ReadHeader(object? carrier, string name, out string? value, out IEnumerable<string>? values)
    {
        values = null;
        value = carrier is IDictionary<string, object?> headers && headers.TryGetValue(name, out object? raw)
            ? raw switch
            {
                string text => text,
                byte[] bytes => Encoding.UTF8.GetString(bytes),
                _ => null,
            }
            : null;
    }
}
