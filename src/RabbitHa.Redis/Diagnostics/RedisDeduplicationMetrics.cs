using System.Diagnostics.Metrics;
using RabbitHa.Client;

namespace RabbitHa.Redis;

/// <summary>The store's instrument, on RabbitHa's meter (<see cref="RabbitHaDiagnostics.MeterName"/>).</summary>
internal sealed class RedisDeduplicationMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _unavailable;

    /// <param name="meterFactory">The DI meter factory when there is one (it hands out the meter RabbitHa.Client uses); otherwise a meter of our own.</param>
    public RedisDeduplicationMetrics(IMeterFactory? meterFactory)
    {
        // RabbitHa.Client's version, so that a meter factory gives both packages the same meter.
        string? version = typeof(RabbitHaDiagnostics).Assembly.GetName().Version?.ToString();
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(new MeterOptions(RabbitHaDiagnostics.MeterName) { Version = version })
            ?? new Meter(RabbitHaDiagnostics.MeterName, version);
        _unavailable = _meter.CreateCounter<long>(RedisDeduplicationDiagnostics.StoreUnavailableInstrument, "{call}",
            "Deduplication store calls that found Redis failing or slower than OperationTimeout.");
    }

    public void Unavailable(RedisUnavailableBehavior whenUnavailable, string operation, string scope) =>
        _unavailable.Add(1,
            new KeyValuePair<string, object?>(RedisDeduplicationDiagnostics.WhenUnavailableTag, TagValue(whenUnavailable)),
            new KeyValuePair<string, object?>(RedisDeduplicationDiagnostics.OperationTag, operation),
            new KeyValuePair<string, object?>(RedisDeduplicationDiagnostics.ScopeTag, scope));

    public void Dispose()
    {
        // A meter from IMeterFactory belongs to the factory, which disposes it with the container.
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    internal static string TagValue(RedisUnavailableBehavior whenUnavailable) =>
        whenUnavailable == RedisUnavailableBehavior.FailOpen ? "fail_open" : "fail_closed";
}
