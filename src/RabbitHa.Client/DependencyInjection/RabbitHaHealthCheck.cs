using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Internal.Consuming;
using RabbitHa.Client.Internal.Topology;

namespace RabbitHa.Client.Internal.DependencyInjection;

/// <summary>
/// The <c>"rabbitha"</c> health check: every connection in use (the main one, and the publishing one once something
/// opened it) must be open and not blocked, the broker must have accepted every exchange, queue and binding
/// declared on it, and every consumer must be subscribed, with its handlers not hung. The worst part decides the
/// status; the description names each one that is not healthy. Reads state only: it never touches the broker.
/// </summary>
/// <remarks>
/// <para>
/// A refused declaration makes the check <see cref="HealthStatus.Degraded"/>, never worse: the connection works for
/// everything else, and an orchestrator restarting the application would not make the broker change its mind.
/// </para>
/// <para>
/// A consumer without a subscription for <see cref="RabbitHaConsumerOptions.UnhealthyAfter"/> makes it Unhealthy, naming
/// the consumer and its last error, until it has resubscribed. Handlers that ignored their cancellation and still run
/// make it Degraded, and Unhealthy once they hold all of the consumer's handler slots: nothing but the process's end
/// frees those.
/// </para>
/// </remarks>
internal sealed class RabbitHaHealthCheck : IHealthCheck
{
    private const string RefusedTopologyKey = "refusedTopology";

    private readonly RabbitHaConnection _main;
    private readonly RabbitHaConnection _publishing;
    private readonly ConsumerRegistry _consumers;

    public RabbitHaHealthCheck(
        RabbitHaConnection main,
        [FromKeyedServices(RabbitHaServiceKeys.PublisherConnection)] RabbitHaConnection publishing,
        ConsumerRegistry consumers)
    {
        ArgumentNullException.ThrowIfNull(main);
        ArgumentNullException.ThrowIfNull(publishing);
        ArgumentNullException.ThrowIfNull(consumers);
        _main = main;
        _publishing = publishing;
        _consumers = consumers;
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

        foreach (ConsumerStatus consumer in _consumers.Snapshot())
        {
            if (EvaluateConsumer(consumer, failureStatus) is { } result)
            {
                results.Add(result);
            }
        }

        return Task.FromResult(Combine(results));
    }

    /// <summary>
    /// <paramref name="failureStatus"/> for a consumer without a subscription for its <see cref="RabbitHaConsumerOptions.UnhealthyAfter"/>,
    /// or whose handler slots are all held by hung handlers; <see cref="HealthStatus.Degraded"/> while some are;
    /// otherwise (and for a consumer that is stopping) <see langword="null"/>.
    /// </summary>
    internal static HealthCheckResult? EvaluateConsumer(ConsumerStatus consumer, HealthStatus failureStatus)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        if (!consumer.Running)
        {
            return null;
        }

        string key = $"consumer.{consumer.Name}";
        if (!consumer.Subscribed && consumer.UnhealthyAfter != Timeout.InfiniteTimeSpan && consumer.NotSubscribedFor >= consumer.UnhealthyAfter)
        {
            string why = consumer.LastError ?? "it has not subscribed yet (waiting for the connection)";
            return new HealthCheckResult(failureStatus,
                $"Consumer '{consumer.Name}' has not been subscribed to queue '{consumer.Queue}' for {consumer.NotSubscribedFor.TotalSeconds:F0} s: {why}. It keeps trying.",
                data: new Dictionary<string, object>(StringComparer.Ordinal)
                {
                    [key + ".notSubscribedFor"] = consumer.NotSubscribedFor,
                    [key + ".lastError"] = why,
                });
        }

        if (consumer.HungHandlers.Count == 0)
        {
            return null;
        }

        ConsumerStatus.HungHandler longest = consumer.HungHandlers[0];
        bool allSlots = consumer.HungHandlers.Count >= consumer.Concurrency;
        return new HealthCheckResult(allSlots ? failureStatus : HealthStatus.Degraded,
            $"Consumer '{consumer.Name}': {consumer.HungHandlers.Count} of its {consumer.Concurrency} handler slot(s) held by handlers that ignore their cancellation " +
            $"(the longest on message '{longest.MessageId}' for {longest.Running.TotalSeconds:F0} s)" +
            (allSlots ? "; it handles nothing until one returns or the process restarts." : "."),
            data: new Dictionary<string, object>(StringComparer.Ordinal) { [key + ".hungHandlers"] = consumer.HungHandlers.Count });
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
