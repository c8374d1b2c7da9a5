using System.Diagnostics.Metrics;

namespace RabbitHa.Client.Internal.Diagnostics;

/// <summary>The consumers' instruments, on the meter of <see cref="RabbitHaMetrics"/>.</summary>
internal sealed class ConsumerMetrics
{
    private readonly Counter<long> _deliveries;
    private readonly Counter<long> _handled;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _discarded;
    private readonly Counter<long> _deadLetterPublishFailures;
    private readonly Counter<long> _duplicatesDropped;
    private readonly Counter<long> _resubscriptions;
    private readonly Histogram<double> _handlerDuration;
    private readonly Counter<long> _handlerTimeouts;
    private readonly UpDownCounter<long> _hungHandlers;

    public ConsumerMetrics(RabbitHaMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        Meter meter = metrics.Meter;
        _deliveries = meter.CreateCounter<long>(RabbitHaConsumerDiagnostics.DeliveriesInstrument, "{message}",
            "Messages delivered to consumers.");
        _handled = meter.CreateCounter<long>(RabbitHaConsumerDiagnostics.HandledInstrument, "{message}",
            "Messages handled successfully and acknowledged.");
        _failures = meter.CreateCounter<long>(RabbitHaConsumerDiagnostics.FailuresInstrument, "{attempt}",
            "Handler attempts that threw.");
        _deadLettered = meter.CreateCounter<long>(RabbitHaConsumerDiagnostics.DeadLetteredInstrument, "{message}",
            "Messages dead-lettered: copied to the dead-letter queue and confirmed, or rejected without requeue for the broker to dead-letter.");
        _discarded = meter.CreateCounter<long>(RabbitHaConsumerDiagnostics.DiscardedInstrument, "{message}",
            "Messages acknowledged and dropped instead of dead-lettered (DeadLetterStrategy Discard).");
        _deadLetterPublishFailures = meter.CreateCounter<long>(RabbitHaConsumerDiagnostics.DeadLetterPublishFailuresInstrument, "{message}",
            "Dead-letter copies not published or not confirmed; the original went back to its queue.");
        _duplicatesDropped = meter.CreateCounter<long>(RabbitHaConsumerDiagnostics.DuplicatesDroppedInstrument, "{message}",
            "Messages acknowledged without handling because their message id was already handled.");
        _resubscriptions = meter.CreateCounter<long>(RabbitHaConsumerDiagnostics.ResubscriptionsInstrument, "{resubscription}",
            "Consumer subscriptions that ended without the application stopping them, and were restored.");
        _handlerDuration = meter.CreateHistogram<double>(RabbitHaConsumerDiagnostics.HandlerDurationInstrument, "s",
            "How long message handlers ran.");
        _handlerTimeouts = meter.CreateCounter<long>(RabbitHaConsumerDiagnostics.HandlerTimeoutsInstrument, "{attempt}",
            "Handler attempts that ran longer than HandlerTimeout and were cancelled.");
        _hungHandlers = meter.CreateUpDownCounter<long>(RabbitHaConsumerDiagnostics.HungHandlersInstrument, "{handler}",
            "Handlers that ignored their cancellation and still run, each holding a handler slot.");
    }

    public void Delivered(string consumer) => _deliveries.Add(1, Tag(consumer));

    public void Handled(string consumer) => _handled.Add(1, Tag(consumer));

    public void Failed(string consumer) => _failures.Add(1, Tag(consumer));

    public void DeadLettered(string consumer) => _deadLettered.Add(1, Tag(consumer));

    public void Discarded(string consumer) => _discarded.Add(1, Tag(consumer));

    public void DeadLetterPublishFailed(string consumer) => _deadLetterPublishFailures.Add(1, Tag(consumer));

    public void DuplicateDropped(string consumer) => _duplicatesDropped.Add(1, Tag(consumer));

    public void Resubscribing(string consumer, string reason) =>
        _resubscriptions.Add(1, Tag(consumer), new KeyValuePair<string, object?>(RabbitHaConsumerDiagnostics.ResubscribeReasonTag, reason));

    public void HandlerRan(string consumer, TimeSpan duration) => _handlerDuration.Record(duration.TotalSeconds, Tag(consumer));

    public void HandlerTimedOut(string consumer) => _handlerTimeouts.Add(1, Tag(consumer));

    public void HungHandlerAbandoned(string consumer) => _hungHandlers.Add(1, Tag(consumer));

    public void HungHandlerReturned(string consumer) => _hungHandlers.Add(-1, Tag(consumer));

    private static KeyValuePair<string, object?> Tag(string consumer) => new(RabbitHaConsumerDiagnostics.ConsumerNameTag, consumer);
}
