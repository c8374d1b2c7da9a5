using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitMQ.Client;

namespace RabbitHa.Client.Internal.Publishing;

/// <summary>
/// <see cref="IRabbitHaPublisher"/> on one confirm-tracking channel. RabbitMQ.Client numbers the publishes and
/// matches the confirms; this adds the window, the deadline, the wait while blocked, sending again what a failover
/// or another message's refusal left unconfirmed, and the stop. The caller's task holds the message until it is
/// confirmed, so nothing else has to.
/// </summary>
/// <remarks>
/// One type, one file per concern: the calls and their properties here; <c>.Sending</c> the way to a confirm;
/// <c>.Outcomes</c> the four shapes a publish ends in; <c>.Batch</c>; <c>.Stopping</c>.
/// </remarks>
internal sealed partial class RabbitHaPublisher : IRabbitHaPublisher, IAsyncDisposable
{
    private readonly IRabbitHaConnection _connection;
    private readonly RabbitHaPublisherOptions _options;
    private readonly IRabbitHaSerializer _serializer;
    private readonly PublisherMetrics _metrics;
    private readonly ILogger _logger;
    private readonly PublishWindow _window;
    private readonly PublisherChannel _channel;
    private readonly IsolationChannel _isolation;
    private readonly KnownRejections _rejections;
    private readonly UnblockedSignal _unblocked;
    private readonly ResiliencePipeline _pipeline;
    private readonly PublishAttemptPool _attempts;
    private readonly string _connectionName;

    public RabbitHaPublisher(
        IRabbitHaConnection connection,
        IOptions<RabbitHaPublisherOptions> options,
        IRabbitHaSerializer serializer,
        PublisherMetrics metrics,
        ILogger<RabbitHaPublisher>? logger = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(serializer);
        ArgumentNullException.ThrowIfNull(metrics);
        _connection = connection;
        _connectionName = connection.ClientProvidedName;
        _options = options.Value;
        _serializer = serializer;
        _metrics = metrics;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _window = new PublishWindow(_options.MaxInFlight, _options.MaxWaitingPublishes);
        _rejections = new KnownRejections(timeProvider);
        _channel = new PublisherChannel(connection, _logger, "shared", timeProvider);
        _isolation = new IsolationChannel(new PublisherChannel(connection, _logger, "isolation", timeProvider));
        _unblocked = new UnblockedSignal(connection);
        _pipeline = PublishRetryPipeline.Create(_options, OnRetry);
        _attempts = new PublishAttemptPool(this, _options.MaxInFlight, _aborting.Token);
    }

    /// <summary>Gets how many channels the publisher holds open (or closed and not released yet); for tests and diagnostics.</summary>
    internal int ChannelsHeld => _channel.Held + _isolation.Channel.Held;

    /// <summary>Gets how many channels the publisher has opened in all; for tests and diagnostics.</summary>
    internal int ChannelsOpened => _channel.Opened + _isolation.Channel.Opened;

    /// <summary>Gets the window; for tests.</summary>
    internal PublishWindow Window => _window;

    /// <summary>Gets how many publishes hold a window slot.</summary>
    internal int InFlight => _window.InFlight;

    /// <summary>Gets how many publishes wait for a window slot.</summary>
    internal int Waiting => _window.Waiting;

    /// <inheritdoc />
    public Task PublishAsync(RabbitHaOutgoingMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(message.Exchange, nameof(message));
        ArgumentNullException.ThrowIfNull(message.RoutingKey, nameof(message));
        return PublishCoreAsync(NewAttempt(message.Exchange, message.RoutingKey, message.Body, message.Properties, message.Mandatory, contentType: null, cancellationToken));
    }

    /// <inheritdoc />
    public Task PublishAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, BasicProperties? properties = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(routingKey);
        return PublishCoreAsync(NewAttempt(exchange, routingKey, body, properties, mandatory: null, contentType: null, cancellationToken));
    }

    /// <inheritdoc />
    public Task PublishAsync<T>(string exchange, string routingKey, T message, BasicProperties? properties = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(routingKey);

        // A byte[] binds to this overload rather than to the ReadOnlyMemory<byte> one: it is a body, not a message to serialize.
        if (message is byte[] bytes)
        {
            return PublishAsync(exchange, routingKey, (ReadOnlyMemory<byte>)bytes, properties, cancellationToken);
        }

        if (message is ReadOnlyMemory<byte> memory)
        {
            return PublishAsync(exchange, routingKey, memory, properties, cancellationToken);
        }

        return SerializeAndPublishAsync(exchange, routingKey, message, properties, cancellationToken);
    }

    // Not async: the publish's own task is the caller's, with no second state machine around it.
    private Task SerializeAndPublishAsync<T>(string exchange, string routingKey, T message, BasicProperties? properties, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> body;
        try
        {
            body = _serializer.Serialize(message);
        }
        catch (Exception error)
        {
            // The serializer is the application's, and may throw anything: the message cannot be sent as given, and the
            // caller learns it the one way every failed publish is told, from the task.
            var unsent = NewAttempt(exchange, routingKey, ReadOnlyMemory<byte>.Empty, properties, mandatory: null, _serializer.ContentType, cancellationToken);
            var failure = Report(unsent, unsent.Fail(
                RabbitHaPublishFailureReason.Invalid,
                $"{_serializer.GetType().Name} could not serialize the {typeof(T).Name}: {error.Message}; not sent",
                error));
            Leave(unsent);
            return Task.FromException(failure);
        }

        return PublishCoreAsync(NewAttempt(exchange, routingKey, body, properties, mandatory: null, _serializer.ContentType, cancellationToken));
    }

    private PublishAttempt NewAttempt(string exchange, string routingKey, ReadOnlyMemory<byte> body, BasicProperties? properties, bool? mandatory, string? contentType, CancellationToken cancellationToken)
    {
        _metrics.Published(_connectionName);
        var prepared = PrepareProperties(properties, contentType);
        var activity = StartTrace(exchange, routingKey, prepared);
        var attempt = _attempts.Rent();
        attempt.Begin(exchange, routingKey, body, prepared, mandatory ?? _options.Mandatory, activity, cancellationToken);
        return attempt;
    }

    /// <summary>
    /// Starts the publish's span and writes its context into the message's headers, once for all its sends: a re-send
    /// continues the trace of the first send. A message that carries a context already (a consumer's retry or
    /// dead-letter copy, or the caller's own) keeps it; the span then links to it.
    /// </summary>
    private Activity? StartTrace(string exchange, string routingKey, BasicProperties properties)
    {
        if (!RabbitHaTracing.Source.HasListeners())
        {
            return null;
        }

        var carried = RabbitHaTracing.Extract(properties);
        var activity = RabbitHaTracing.StartPublish(exchange, routingKey, properties, carried, _connectionName, _connection.CurrentEndpoint);
        if (activity is not null && carried == default)
        {
            if (properties.Headers is not PublishHeaders headers)
            {
                properties.Headers = headers = new PublishHeaders();
            }

            headers.Inject(activity);
        }

        return activity;
    }

    private BasicProperties PrepareProperties(BasicProperties? given, string? contentType)
    {
        // A copy, headers included: the caller may reuse its properties, and RabbitMQ.Client writes its publish
        // sequence number (and, when its source has listeners, its own trace context) into the headers of the
        // properties it sends. The caller's headers are copied into RabbitHa's own type, which keeps the message's
        // trace context through every send (PublishHeaders). No headers, none made: RabbitMQ.Client adds a dictionary of
        // its own for its sequence number, as it does for any publish, and the first re-send copies it into a
        // PublishHeaders (PublishAttempt.StartSend), the first send's context with it. StartTrace makes one when it has a
        // context to inject.
        var properties = given is null ? new BasicProperties() : new BasicProperties(given);
        properties.Headers = given?.Headers is { } headers ? new PublishHeaders(headers) : null;

        if (string.IsNullOrEmpty(properties.MessageId))
        {
            properties.MessageId = Guid.NewGuid().ToString("N");
        }

        if (!properties.IsDeliveryModePresent())
        {
            properties.DeliveryMode = _options.Persistent ? DeliveryModes.Persistent : DeliveryModes.Transient;
        }

        properties.ContentType ??= contentType;
        return properties;
    }
}
