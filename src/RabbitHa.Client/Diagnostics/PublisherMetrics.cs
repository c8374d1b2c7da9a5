using System.Diagnostics.Metrics;

namespace RabbitHa.Client;

/// <summary>The publisher's instruments, on the <see cref="RabbitHaDiagnostics.MeterName"/> meter.</summary>
internal sealed class PublisherMetrics
{
    /// <summary>
    /// The tag on <c>rabbitha.publish.failed</c>: a <see cref="PublishFailureReason"/> name, or <see cref="CancelledReason"/>
    /// (the caller's token) or <see cref="DisposedReason"/> (the publisher was disposed first).
    /// </summary>
    public const string ReasonTag = "rabbitha.publish.failure_reason";

    public const string CancelledReason = "Cancelled";

    public const string DisposedReason = "Disposed";

    private readonly Counter<long> _published;
    private readonly Counter<long> _confirmed;
    private readonly Counter<long> _nacked;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _retried;
    private readonly UpDownCounter<long> _inFlight;
    private readonly Histogram<double> _confirmLatency;

    public PublisherMetrics(RabbitHaMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var meter = metrics.Meter;
        _published = meter.CreateCounter<long>(RabbitHaDiagnostics.PublishedInstrument, "{message}", "Messages handed to the publisher.");
        _confirmed = meter.CreateCounter<long>(RabbitHaDiagnostics.ConfirmedInstrument, "{message}", "Messages the broker confirmed.");
        _nacked = meter.CreateCounter<long>(RabbitHaDiagnostics.NackedInstrument, "{message}", "Negative confirms received (each is sent again until MaxNackRetries).");
        _failed = meter.CreateCounter<long>(RabbitHaDiagnostics.PublishFailedInstrument, "{message}", "Publishes that ended without a confirm, by reason (a PublishFailureReason, Cancelled or Disposed).");
        _retried = meter.CreateCounter<long>(RabbitHaDiagnostics.PublishRetriedInstrument, "{send}", "Sends of a message that was not confirmed the first time.");
        _inFlight = meter.CreateUpDownCounter<long>(RabbitHaDiagnostics.PublishInFlightInstrument, "{message}", "Publishes holding a window slot, waiting for their confirm.");
        _confirmLatency = meter.CreateHistogram<double>(RabbitHaDiagnostics.ConfirmLatencyInstrument, "ms", "Time from the publish call to the confirm, the wait for a window slot and retries included.");
    }

    public void Published() => _published.Add(1);

    public void Started() => _inFlight.Add(1);

    public void Finished() => _inFlight.Add(-1);

    public void Confirmed(TimeSpan latency)
    {
        _confirmed.Add(1);
        _confirmLatency.Record(latency.TotalMilliseconds);
    }

    public void Nacked() => _nacked.Add(1);

    public void Retried() => _retried.Add(1);

    public void Failed(PublishFailureReason reason) => Failed(reason.ToString());

    public void Cancelled() => Failed(CancelledReason);

    public void Abandoned() => Failed(DisposedReason);

    private void Failed(string reason) => _failed.Add(1, new KeyValuePair<string, object?>(ReasonTag, reason));
}
