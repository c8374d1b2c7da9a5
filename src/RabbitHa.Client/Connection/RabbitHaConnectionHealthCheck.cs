using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RabbitHa.Client.Internal.Connection;

/// <summary>
/// Healthy while the connection is open and not blocked; otherwise the registration's failure status
/// (unhealthy by default) with a description of why. Reads state only: it never touches the broker.
/// </summary>
internal sealed class RabbitHaConnectionHealthCheck : IHealthCheck
{
    private readonly IRabbitHaConnection _connection;

    public RabbitHaConnectionHealthCheck(IRabbitHaConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _connection = connection;
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        HealthStatus failureStatus = context?.Registration?.FailureStatus ?? HealthStatus.Unhealthy;
        return Task.FromResult(Evaluate(_connection, failureStatus));
    }

    internal static HealthCheckResult Evaluate(IRabbitHaConnection connection, HealthStatus failureStatus)
    {
        RabbitHaConnectionState state = connection.State;
        string? blockedReason = connection.BlockedReason;
        string? endpoint = connection.CurrentEndpoint?.ToString();
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["connection"] = connection.ClientProvidedName,
            ["state"] = state.ToString(),
        };
        if (endpoint is not null)
        {
            data["endpoint"] = endpoint;
        }

        if (connection.BrokerVersion is { } brokerVersion)
        {
            data["brokerVersion"] = brokerVersion.ToString();
        }

        if (state != RabbitHaConnectionState.Open)
        {
            return new HealthCheckResult(failureStatus, $"RabbitMQ connection '{connection.ClientProvidedName}' is {state}.", data: data);
        }

        if (blockedReason is not null)
        {
            data["blockedReason"] = blockedReason;
            return new HealthCheckResult(failureStatus,
                $"RabbitMQ connection '{connection.ClientProvidedName}' is blocked by the broker: {blockedReason}.", data: data);
        }

        return HealthCheckResult.Healthy($"RabbitMQ connection '{connection.ClientProvidedName}' is open on {endpoint}.", data);
    }
}
