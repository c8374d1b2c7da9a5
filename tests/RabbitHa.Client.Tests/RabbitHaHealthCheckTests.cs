using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using RabbitHa.Client.Tests.TestSupport;
using RabbitMQ.Client;

namespace RabbitHa.Client.Tests;

/// <summary>The combined <c>"rabbitha"</c> check: connection state and the topology the broker refuses.</summary>
[Trait("Category", "Unit")]
public sealed class RabbitHaHealthCheckTests
{
    private static readonly TopologyRefusal Inequivalent =
        new(Constants.PreconditionFailed, "PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue 'orders'");

    [Fact]
    public void EvaluateTopology_WhenNothingIsRefused_HasNothingToSay()
    {
        Assert.Null(RabbitHaHealthCheck.EvaluateTopology("app", []));
    }

    [Fact]
    public void EvaluateTopology_WhenRefused_IsDegradedNamingEachEntityAndReason()
    {
        HealthCheckResult? result = RabbitHaHealthCheck.EvaluateTopology("app",
        [
            new("queue 'orders'", Inequivalent, 3, TimeSpan.FromSeconds(5)),
            new("exchange 'orders.x'", new TopologyRefusal(Constants.AccessRefused, "ACCESS_REFUSED - no configure permission"), 1, TimeSpan.Zero),
        ]);

        Assert.NotNull(result);
        Assert.Equal(HealthStatus.Degraded, result.Value.Status);
        Assert.Contains("'app'", result.Value.Description, StringComparison.Ordinal);
        Assert.Contains("queue 'orders' (406 PRECONDITION_FAILED - inequivalent arg 'x-max-length'", result.Value.Description, StringComparison.Ordinal);
        Assert.Contains("exchange 'orders.x' (403 ACCESS_REFUSED - no configure permission)", result.Value.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Combine_WhenConnectionIsHealthyAndTopologyRefused_IsDegradedNamingOnlyTheRefusal()
    {
        HealthCheckResult connection = HealthCheckResult.Healthy("RabbitMQ connection 'app' is open on haproxy:5672.",
            new Dictionary<string, object> { ["connection"] = "app" });
        HealthCheckResult topology = RabbitHaHealthCheck.EvaluateTopology("app", [new("queue 'orders'", Inequivalent, 1, TimeSpan.Zero)])!.Value;

        HealthCheckResult result = RabbitHaHealthCheck.Combine([connection, topology]);

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Contains("queue 'orders'", result.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("is open", result.Description, StringComparison.Ordinal);
        Assert.Equal(new[] { "queue 'orders' (" + Inequivalent + ")" }, result.Data["app.refusedTopology"]);
    }

    [Fact]
    public void Combine_WhenConnectionIsDownAndTopologyRefused_IsUnhealthyNamingBoth()
    {
        HealthCheckResult connection = HealthCheckResult.Unhealthy("RabbitMQ connection 'app' is Recovering.",
            data: new Dictionary<string, object> { ["connection"] = "app" });
        HealthCheckResult topology = RabbitHaHealthCheck.EvaluateTopology("app", [new("queue 'orders'", Inequivalent, 1, TimeSpan.Zero)])!.Value;

        HealthCheckResult result = RabbitHaHealthCheck.Combine([connection, topology]);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("Recovering", result.Description, StringComparison.Ordinal);
        Assert.Contains("queue 'orders'", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckHealthAsync_NamesWhatTheMainConnectionHasRefusedUntilItIsDeclared()
    {
        var options = Options.Create(new RabbitHaOptions { Host = "127.0.0.1", Port = ClosedPort.Get(), ClientProvidedName = "app" });
        using var metrics = new RabbitHaMetrics();
        await using var main = new RabbitHaConnection(options, metrics);
        await using var publishing = new RabbitHaConnection(options, metrics, purpose: ConnectionPurpose.Publishing);
        var check = new RabbitHaHealthCheck(main, publishing);
        TopologyDeclaration orders = TopologyDeclaration.Queue("orders", true, false, false, null);

        main.TopologyRefusals.Refused(orders, Inequivalent);
        HealthCheckResult refused = await check.CheckHealthAsync(new HealthCheckContext());
        main.TopologyRefusals.Report([(orders, null)]);
        HealthCheckResult declared = await check.CheckHealthAsync(new HealthCheckContext());

        // Never connected, so Unhealthy either way: the connection part decides the worst status.
        Assert.Equal(HealthStatus.Unhealthy, refused.Status);
        Assert.Contains("queue 'orders' (406 PRECONDITION_FAILED", refused.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("queue 'orders'", declared.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("app.publisher", refused.Description, StringComparison.Ordinal);
    }
}
