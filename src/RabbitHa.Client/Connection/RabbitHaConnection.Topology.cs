using Microsoft.Extensions.Logging;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Topology;

namespace RabbitHa.Client.Internal.Connection;

// Only the main connection declares the configured topology; what the broker refuses is handed to TopologyRefusals,
// which retries it in the background while the connection is open.
internal sealed partial class RabbitHaConnection
{
    /// <summary>
    /// Declares <paramref name="topology"/> on short-lived channels. RabbitMQ.Client records what is declared
    /// and re-declares it after every recovery, so this is for topology that appears after the first connect.
    /// What the broker refuses is reported and retried as at connect (see <see cref="TopologyRefusals"/>).
    /// </summary>
    internal async Task DeclareTopologyAsync(RabbitHaTopologyOptions topology, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topology);
        IReadOnlyList<TopologyDeclaration> declarations = TopologyDeclarer.Plan(topology);
        IReadOnlyList<(TopologyDeclaration, TopologyRefusal?)> outcomes = await TopologyDeclarer.DeclareAsync(
            token => CreateChannelAsync(cancellationToken: token), declarations, cancellationToken).ConfigureAwait(false);
        _classicQueueWarnings.Track(topology);
        _classicQueueWarnings.WarnIfUnreplicated(Broker);
        ReportTopology(outcomes);
    }

    private void ReportTopology(IReadOnlyList<(TopologyDeclaration Declaration, TopologyRefusal? Refusal)> outcomes)
    {
        if (outcomes.Count == 0)
        {
            return;
        }

        _refusals.Report(outcomes);
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            _logger.TopologyDeclared(ClientProvidedName, outcomes.Count(static o => o.Refusal is null), outcomes.Count);
        }
    }
}
