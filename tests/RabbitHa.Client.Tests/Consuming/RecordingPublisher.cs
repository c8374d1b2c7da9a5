using RabbitMQ.Client;

namespace RabbitHa.Client.Tests.Consuming;

/// <summary>
/// An <see cref="IRabbitHaPublisher"/> that keeps what it was asked to publish. <see cref="OnPublish"/> decides what
/// becomes of each publish (fail it, hold it, route it somewhere); without it every publish is confirmed at once.
/// </summary>
internal sealed class RecordingPublisher : IRabbitHaPublisher
{
    private readonly List<RabbitHaOutgoingMessage> _attempted = [];
    private readonly List<RabbitHaOutgoingMessage> _confirmed = [];

    /// <summary>Gets or sets what happens to a publish; it throws to fail the publish.</summary>
    public Func<RabbitHaOutgoingMessage, CancellationToken, Task>? OnPublish { get; set; }

    /// <summary>Gets every publish asked for, its body copied.</summary>
    public IReadOnlyList<RabbitHaOutgoingMessage> Attempted
    {
        get
        {
            lock (_attempted)
            {
                return _attempted.ToArray();
            }
        }
    }

    /// <summary>Gets the publishes that completed (the broker "confirmed" them).</summary>
    public IReadOnlyList<RabbitHaOutgoingMessage> Confirmed
    {
        get
        {
            lock (_confirmed)
            {
                return _confirmed.ToArray();
            }
        }
    }

    public static RabbitHaPublishException Failure(RabbitHaPublishFailureReason reason) =>
        new(reason, "m", "", "q", 1, $"{reason} for the test", null);

    public async Task PublishAsync(RabbitHaOutgoingMessage message, CancellationToken cancellationToken = default)
    {
        // The body is the delivery's, valid only while it is processed: kept as a copy, as the broker would.
        RabbitHaOutgoingMessage kept = message with { Body = message.Body.ToArray() };
        lock (_attempted)
        {
            _attempted.Add(kept);
        }

        if (OnPublish is { } onPublish)
        {
            await onPublish(kept, cancellationToken);
        }

        lock (_confirmed)
        {
            _confirmed.Add(kept);
        }
    }

    public Task PublishAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, BasicProperties? properties = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public Task PublishAsync<T>(string exchange, string routingKey, T message, BasicProperties? properties = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public Task PublishBatchAsync(IEnumerable<RabbitHaOutgoingMessage> messages, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();
}
