using System.Diagnostics.Metrics;
using RabbitHa.Client;

namespace RabbitHa.Benchmarks;

/// <summary>
/// Counts one RabbitHa container's re-sends (<see cref="RabbitHaDiagnostics.PublishRetriedInstrument"/>), read the way an
/// application would: a <see cref="MeterListener"/> on the <see cref="RabbitHaDiagnostics.MeterName"/> meter. The meter of
/// every container has that name (consumer apps have publishers too), so only the one created by the given
/// <see cref="IMeterFactory"/> (its <see cref="Meter.Scope"/>) is listened to.
/// </summary>
internal sealed class ResendCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _count;

    public ResendCounter(IMeterFactory scope)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == RabbitHaDiagnostics.MeterName
                && ReferenceEquals(instrument.Meter.Scope, scope)
                && instrument.Name == RabbitHaDiagnostics.PublishRetriedInstrument)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _count, value));
        _listener.Start();
    }

    /// <summary>Gets the sends of messages that were not confirmed the first time, so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    public void Dispose() => _listener.Dispose();
}
