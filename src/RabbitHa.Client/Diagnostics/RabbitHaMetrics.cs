using System.Diagnostics.Metrics;

namespace RabbitHa.Client.Internal.Diagnostics;

/// <summary>The instruments on the <see cref="RabbitHaDiagnostics.MeterName"/> meter.</summary>
internal sealed class RabbitHaMetrics : IDisposable
{
    private const string TopologyEntityTag = "rabbitha.topology.entity";
    private const string ReplyCodeTag = "rabbitha.topology.reply_code";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _losses;
    private readonly Counter<long> _recoveries;
    private readonly Counter<long> _recoveryFailures;
    private readonly UpDownCounter<long> _openConnections;
    private readonly Histogram<double> _blockedDuration;
    private readonly Counter<long> _topologyRefusals;

    /// <param name="meterFactory">The DI meter factory when there is one, so that meters are scoped to the container; otherwise a meter of our own.</param>
    public RabbitHaMetrics(IMeterFactory? meterFactory = null)
    {
        string? version = typeof(RabbitHaMetrics).Assembly.GetName().Version?.ToString();
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(new MeterOptions(RabbitHaDiagnostics.MeterName) { Version = version })
            ?? new Meter(RabbitHaDiagnostics.MeterName, version);

        _losses = _meter.CreateCounter<long>(RabbitHaDiagnostics.ConnectionLossesInstrument, "{loss}",
            "Connections lost without the application closing them.");
        _recoveries = _meter.CreateCounter<long>(RabbitHaDiagnostics.ConnectionRecoveriesInstrument, "{recovery}",
            "Connections recovered automatically after a loss.");
        _recoveryFailures = _meter.CreateCounter<long>(RabbitHaDiagnostics.ConnectionRecoveryFailuresInstrument, "{attempt}",
            "Recovery attempts that failed and will be retried.");
        _openConnections = _meter.CreateUpDownCounter<long>(RabbitHaDiagnostics.OpenConnectionsInstrument, "{connection}",
            "Connections currently open.");
        _blockedDuration = _meter.CreateHistogram<double>(RabbitHaDiagnostics.BlockedDurationInstrument, "s",
            "How long the broker blocked publishing on a connection (resource alarm).");
        _topologyRefusals = _meter.CreateCounter<long>(RabbitHaDiagnostics.TopologyRefusalsInstrument, "{refusal}",
            "Exchange, queue and binding declarations the broker refused; each is declared again in the background.");
    }

    public Meter Meter => _meter;

    public void ConnectionLost(string connectionName) => _losses.Add(1, Tag(connectionName));

    public void ConnectionRecovered(string connectionName) => _recoveries.Add(1, Tag(connectionName));

    public void RecoveryFailed(string connectionName) => _recoveryFailures.Add(1, Tag(connectionName));

    public void ConnectionOpened(string connectionName) => _openConnections.Add(1, Tag(connectionName));

    public void ConnectionNoLongerOpen(string connectionName) => _openConnections.Add(-1, Tag(connectionName));

    public void BlockedFor(TimeSpan duration, string connectionName) => _blockedDuration.Record(duration.TotalSeconds, Tag(connectionName));

    public void TopologyRefused(string connectionName, string entity, ushort replyCode) =>
        _topologyRefusals.Add(1, Tag(connectionName), new(TopologyEntityTag, entity), new(ReplyCodeTag, (int)replyCode));

    public void Dispose()
    {
        // A meter from IMeterFactory belongs to the factory, which disposes it with the container.
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private static KeyValuePair<string, object?> Tag(string connectionName) => new(RabbitHaDiagnostics.ConnectionNameTag, connectionName);
}
