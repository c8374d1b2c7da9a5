using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Publishing;
using RabbitHa.Client.Tests.TestSupport;

namespace RabbitHa.Client.Tests.Publishing;

/// <summary>A publisher on a <see cref="PublishingBroker"/>, with its failure metric and its log lines recorded.</summary>
internal sealed class PublisherHarness : IAsyncDisposable
{
    private readonly RabbitHaMetrics _metrics = new();
    private long _retries;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<string> _failureReasons = new();
    private readonly CapturingLoggerProvider _logs = new();
    private readonly ILoggerFactory _loggerFactory;

    public PublisherHarness(Action<RabbitHaPublisherOptions>? configure = null, IRabbitHaSerializer? serializer = null, TimeProvider? timeProvider = null)
    {
        var options = new RabbitHaPublisherOptions { RetryDelay = TimeSpan.FromMilliseconds(1), MaxRetryDelay = TimeSpan.FromMilliseconds(10) };
        configure?.Invoke(options);
        Options = options;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, _metrics.Meter)
                && instrument.Name is RabbitHaDiagnostics.PublishFailedInstrument or RabbitHaDiagnostics.PublishRetriedInstrument)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == RabbitHaDiagnostics.PublishRetriedInstrument)
            {
                Interlocked.Add(ref _retries, value);
                return;
            }

            foreach (var tag in tags)
            {
                if (tag.Key == PublisherMetrics.ReasonTag)
                {
                    _failureReasons.Enqueue((string)tag.Value!);
                }
            }
        });
        _listener.Start();
        _loggerFactory = LoggerFactory.Create(logging => logging.AddProvider(_logs).SetMinimumLevel(LogLevel.Trace));
        Publisher = new RabbitHaPublisher(
            Broker,
            Microsoft.Extensions.Options.Options.Create(options),
            serializer ?? new SystemTextJsonRabbitHaSerializer(),
            new PublisherMetrics(_metrics),
            _loggerFactory.CreateLogger<RabbitHaPublisher>(),
            timeProvider);
    }

    public PublishingBroker Broker { get; } = new();

    public RabbitHaPublisherOptions Options { get; }

    public RabbitHaPublisher Publisher { get; }

    /// <summary>Gets the sum of the <c>rabbitha.publish.retried</c> measurements so far: the sends after the first.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Gets the <c>rabbitha.publish.failed</c> measurements so far, by reason tag.</summary>
    public IReadOnlyList<string> FailureReasons => _failureReasons.ToArray();

    /// <summary>Gets the log lines so far.</summary>
    public IReadOnlyList<string> Logs => _logs.Lines.ToArray();

    /// <summary>Gets the log lines of one event, by name.</summary>
    public IReadOnlyList<string> LogsOf(string eventName) => Logs.Where(line => line.Contains($"[{eventName}]", StringComparison.Ordinal)).ToArray();

    public static RabbitHaOutgoingMessage Message(string exchange = "", string routingKey = "q", int bodySize = 3) => new(exchange, routingKey, new byte[bodySize]);

    public async ValueTask DisposeAsync()
    {
        await Publisher.DisposeAsync();
        _listener.Dispose();
        _loggerFactory.Dispose();
        _metrics.Dispose();
    }
}
