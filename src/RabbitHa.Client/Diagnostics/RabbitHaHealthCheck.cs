using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RabbitHa.Client;

/// <summary>
/// The <c>"rabbitha"</c> health check: every connection in use (the main one, and the publishing one once something
/// opened it) must be open and not blocked, and the broker must have accepted every exchange, queue and binding
/// declared on it. The worst part decides the status; the description names each one that is not healthy. Reads
/// state only: it never touches the broker.
/// </summary>
/// <remarks>
/// A refused declaration makes the check <see cref="HealthStatus.Degraded"/>, never worse: the connection works for
/// everything else, and an orchestrator restarting the application would not make the broker change its mind.
/// </remarks>
internal sealed class RabbitHaHealthCheck : IHealthCheck
{
    private const string RefusedTopologyKey = "refusedTopology";

    private readonly RabbitHaConnection _main;
    private readonly RabbitHaConnection _publishing;

    public RabbitHaHealthCheck(RabbitHaConnection main, [FromKeyedServices(RabbitHaServiceKeys.PublisherConnection)] RabbitHaConnection publishing)
    {
        ArgumentNullException.ThrowIfNull(main);
        ArgumentNullException.ThrowIfNull(publishing);
        _main = main;
        _publishing = publishing;
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        HealthStatus failureStatus = context?.Registration?.FailureStatus ?? HealthStatus.Unhealthy;
        var results = new List<HealthCheckResult>();
        Add(results, _main, failureStatus);
        if (_publishing.WasStarted)
        {
            Add(results, _publishing, failureStatus);
        }

        return Task.FromResult(Combine(results));
    }

    /// <summary>
    /// <see cref="HealthStatus.Degraded"/>, naming each entity the broker refuses and its reason, or <see langword="null"/>
    /// when it refuses nothing.
    /// </summary>
    internal static HealthCheckResult? EvaluateTopology(string connectionName, IReadOnlyList<TopologyRefusals.RefusedDeclaration> refused)
    {
        ArgumentNullException.ThrowIfNull(connectionName);
        ArgumentNullException.ThrowIfNull(refused);
        if (refused.Count == 0)
        {
            return null;
        }

        string[] entities = refused.Select(static r => $"{r.Entity} ({r.Refusal})").ToArray();
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["connection"] = connectionName,
            [RefusedTopologyKey] = entities,
        };
        return HealthCheckResult.Degraded(
            $"RabbitMQ refuses to declare on connection '{connectionName}': {string.Join("; ", entities)}. Declaring again in the background.",
            data: data);
    }

    /// <summary>The worst status wins; the description lists the parts that are not healthy, or all of them when none is.</summary>
    internal static HealthCheckResult Combine(IReadOnlyList<HealthCheckResult> results)
    {
        HealthStatus status = results.Min(static r => r.Status);
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (HealthCheckResult result in results)
        {
            string prefix = result.Data.TryGetValue("connection", out object? name) ? $"{name}." : string.Empty;
            foreach (KeyValuePair<string, object> pair in result.Data)
            {
                data[prefix + pair.Key] = pair.Value;
            }
        }

        string description = string.Join(" ", results
            .Where(r => status == HealthStatus.Healthy || r.Status != HealthStatus.Healthy)
            .Select(static r => r.Description));
        return new HealthCheckResult(status, description, results.FirstOrDefault(static r => r.Exception is not null).Exception, data);
    }

    private static void Add(List<HealthCheckResult> results, RabbitHaConnection connection, HealthStatus failureStatus)
    {
        results.Add(RabbitHaConnectionHealthCheck.Evaluate(connection, failureStatus));
        if (EvaluateTopology(connection.ClientProvidedName, connection.TopologyRefusals.Snapshot()) is { } topology)
        {
            results.Add(topology);
        }
    }
}
