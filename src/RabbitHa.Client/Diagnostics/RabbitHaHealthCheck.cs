using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RabbitHa.Client;

/// <summary>
/// The <c>"rabbitha"</c> health check: every connection in use (the main one, and the publishing one once something
/// opened it) must be open and not blocked. The worst of them decides the status; the description names each one
/// that is not healthy. Reads state only: it never touches the broker.
/// </summary>
internal sealed class RabbitHaHealthCheck : IHealthCheck
{
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
        var results = new List<HealthCheckResult> { RabbitHaConnectionHealthCheck.Evaluate(_main, failureStatus) };
        if (_publishing.WasStarted)
        {
            results.Add(RabbitHaConnectionHealthCheck.Evaluate(_publishing, failureStatus));
        }

        return Task.FromResult(Combine(results));
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
}
