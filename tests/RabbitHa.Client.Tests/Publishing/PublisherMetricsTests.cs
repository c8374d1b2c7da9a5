using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Publishing;

namespace RabbitHa.Client.Tests.Publishing;

/// <summary>The publisher's instruments: durations in seconds, every measurement tagged with the publishing connection's name.</summary>
[Trait("Category", "Unit")]
public sealed class PublisherMetricsTests
{
    [Fact]
    public void Confirmed_RecordsTheDurationInSeconds_TaggedWithTheConnection()
    {
        using var metrics = new RabbitHaMetrics();
        using var recorder = new Recorder(metrics.Meter);

        new PublisherMetrics(metrics).Confirmed("orders-api.publisher", TimeSpan.FromMilliseconds(1500));

        Measurement duration = Assert.Single(recorder.Measurements, m => m.Instrument == RabbitHaDiagnostics.ConfirmDurationInstrument);
        Assert.Equal("s", duration.Unit);
        Assert.Equal(1.5, duration.Value);
        Assert.Equal("orders-api.publisher", duration.Tags[RabbitHaDiagnostics.ConnectionNameTag]);
    }

    [Fact]
    public async Task PublishAsync_TagsEveryMeasurementWithThePublishingConnectionsName()
    {
        using var metrics = new RabbitHaMetrics();
        using var recorder = new Recorder(metrics.Meter);
        var broker = new PublishingBroker();
        int sends = 0;
        broker.Answer = _ => Interlocked.Increment(ref sends) == 1 ? BrokerAnswer.Nack : BrokerAnswer.Ack;
        await using var publisher = new RabbitHaPublisher(
            broker,
            Options.Create(new RabbitHaPublisherOptions { RetryDelay = TimeSpan.FromMilliseconds(1) }),
            new SystemTextJsonRabbitHaSerializer(),
            new PublisherMetrics(metrics));

        await publisher.PublishAsync(PublisherHarness.Message());
        broker.Answer = _ => BrokerAnswer.Return;
        await Assert.ThrowsAsync<RabbitHaPublishException>(() => publisher.PublishAsync(PublisherHarness.Message()));

        string[] instruments =
        [
            RabbitHaDiagnostics.PublishedInstrument,
            RabbitHaDiagnostics.PublishInFlightInstrument,
            RabbitHaDiagnostics.NackedInstrument,
            RabbitHaDiagnostics.PublishRetriedInstrument,
            RabbitHaDiagnostics.ConfirmedInstrument,
            RabbitHaDiagnostics.ConfirmDurationInstrument,
            RabbitHaDiagnostics.PublishFailedInstrument,
        ];
        Assert.Equal(instruments.Order(StringComparer.Ordinal), recorder.Measurements.Select(m => m.Instrument).Distinct().Order(StringComparer.Ordinal));
        Assert.All(recorder.Measurements, m => Assert.Equal(broker.ClientProvidedName, m.Tags[RabbitHaDiagnostics.ConnectionNameTag]));
        Assert.InRange(recorder.Measurements.Single(m => m.Instrument == RabbitHaDiagnostics.ConfirmDurationInstrument).Value, 0, 10);
    }

    private sealed record Measurement(string Instrument, string? Unit, double Value, IReadOnlyDictionary<string, object?> Tags);

    /// <summary>Every measurement on one meter, whatever its type.</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<Measurement> _measurements = new();

        public Recorder(Meter meter)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
            _listener.Start();
        }

        public IReadOnlyList<Measurement> Measurements => _measurements.ToArray();

        public void Dispose() => _listener.Dispose();

        private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
            _measurements.Enqueue(new Measurement(instrument.Name, instrument.Unit, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
    }
}
