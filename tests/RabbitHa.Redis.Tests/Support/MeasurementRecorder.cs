using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using RabbitHa.Client;

namespace RabbitHa.Redis.Tests.Support;

/// <summary>
/// Listens to one instrument on RabbitHa's meter, in every meter of that name in the process (tests run side by side: filter
/// by a tag of the test's own, such as its scope).
/// </summary>
internal sealed class MeasurementRecorder : IDisposable
{
    private readonly MeterListener _listener = new();

    public MeasurementRecorder(string instrument)
    {
        _listener.InstrumentPublished = (published, listener) =>
        {
            if (published.Meter.Name == RabbitHaDiagnostics.MeterName && published.Name == instrument)
            {
                listener.EnableMeasurementEvents(published);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }

            Measurements.Enqueue((value, copy));
        });
        _listener.Start();
    }

    public ConcurrentQueue<(long Value, IReadOnlyDictionary<string, object?> Tags)> Measurements { get; } = new();

    /// <summary>The sum of the measurements whose tag <paramref name="tag"/> is <paramref name="value"/>.</summary>
    public long Sum(string tag, object value) =>
        Measurements.Where(m => m.Tags.TryGetValue(tag, out object? v) && Equals(v, value)).Sum(m => m.Value);

    public void Dispose() => _listener.Dispose();
}
