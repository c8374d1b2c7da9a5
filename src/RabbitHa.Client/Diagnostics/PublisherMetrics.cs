using System.Diagnostics.Metrics;

namespace RabbitHa.Client.Internal.Diagnostics;

/// <summary>
/// The publisher's instruments, on the <see cref="RabbitHaDiagnostics.MeterName"/> meter, each measurement tagged with the
/// publishing connection's name (<see cref="RabbitHaDiagnostics.ConnectionNameTag"/>), as the connection's own are.
/// </summary>
internal sealed class PublisherMetrics
{
    /// <summary>
    /// The tag on <c>rabbitha.publish.failed</c>: a <see cref="RabbitHaPublishFailureReason"/> name, or <see cref="CancelledReason"/>
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
    private readonly Histogram<double> _confirmDuration;

    public PublisherMetrics(RabbitHaMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var meter = metrics.Meter;
        _published = meter.CreateCounter<long>(RabbitHaDiagnostics.PublishedInstrument, "{message}", "Messages handed to the publisher.");
        _confirmed = meter.CreateCounter<long>(RabbitHaDiagnostics.ConfirmedInstrument, "{message}", "Messages the broker confirmed.");
        _nacked = meter.CreateCounter<long>(RabbitHaDiagnostics.NackedInstrument, "{message}", "Negative confirms received (each is sent again until MaxNackRetries).");
        _failed = meter.CreateCounter<long>(RabbitHaDiagnostics.PublishFailedInstrument, "{message}", "Publishes that ended without a confirm, by reason (a RabbitHaPublishFailureReason, Cancelled or Disposed).");
        _retried = meter.CreateCounter<long>(RabbitHaDiagnostics.PublishRetriedInstrument, "{send}", "Sends of a message that was not confirmed the first time.");
        _inFlight = meter.CreateUpDownCounter<long>(RabbitHaDiagnostics.PublishInFlightInstrument, "{message}", "Publishes holding a window slot, waiting for their confirm.");
        _confirmDuration = meter.CreateHistogram<double>(RabbitHaDiagnostics.ConfirmDurationInstrument, "s", "Time from the publish call to the confirm, the wait for a window slot and re-sends included.");
    }

    public void Published(string connection) => _published.Add(1, Tag(connection));

    public void Started(string connection) => _inFlight.Add(1, Tag(connection));

    public void Finished(string connection) => _inFlight.Add(-1, Tag(connection));

    public void Confirmed(string connection, TimeSpan duration)
    {
        _confirmed.Add(1, Tag(connection));
        _confirmDuration.Record(duration.TotalSeconds, Tag(connection));
    }

    public void Nacked(string connection) => _nacked.Add(1, Tag(connection));

    public void Retried(string connection) => _retried.Add(1, Tag(connection));

    public void Cancelled(string connection) => Failed(connection, CancelledReason);

    public void Abandoned(string connection) => Failed(connection, DisposedReason);

    // A RabbitHaPublishFailureReason's name, passed as a string: diagnostics use no other area's types.
    public void Failed(string connection, string reason) =>
        _failed.Add(1, Tag(connection), new KeyValuePair<string, object?>(ReasonTag, reason));

    private static KeyValuePair<string, object?> Tag(string connection) => new(RabbitHaDiagnostics.ConnectionNameTag, connection);
}
