using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Internal.Consuming;
using RabbitHa.Client.Internal.DependencyInjection;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Topology;
using RabbitHa.Client.Tests.TestSupport;
using RabbitMQ.Client;

namespace RabbitHa.Client.Tests;

/// <summary>The combined <c>"rabbitha"</c> check: connection state, the topology the broker refuses, and every consumer.</summary>
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
        var check = new RabbitHaHealthCheck(main, publishing, new ConsumerRegistry());
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

    [Fact]
    public void EvaluateConsumer_WhenNotSubscribedForLongerThanUnhealthyAfter_IsUnhealthyNamingTheConsumerAndItsLastError()
    {
        ConsumerStatus consumer = Status(subscribed: false, notSubscribedFor: TimeSpan.FromSeconds(45), lastError: "404 NOT_FOUND - no queue 'orders' in vhost '/'");

        HealthCheckResult? result = RabbitHaHealthCheck.EvaluateConsumer(consumer, HealthStatus.Unhealthy);

        Assert.NotNull(result);
        Assert.Equal(HealthStatus.Unhealthy, result.Value.Status);
        Assert.Equal("Consumer 'billing' has not been subscribed to queue 'orders' for 45 s: 404 NOT_FOUND - no queue 'orders' in vhost '/'. It keeps trying.", result.Value.Description);
        Assert.Equal("404 NOT_FOUND - no queue 'orders' in vhost '/'", result.Value.Data["consumer.billing.lastError"]);
    }

    [Fact]
    public void EvaluateConsumer_BeforeItsFirstSubscription_SaysItIsWaiting()
    {
        ConsumerStatus consumer = Status(subscribed: false, notSubscribedFor: TimeSpan.FromMinutes(1), lastError: null);

        HealthCheckResult? result = RabbitHaHealthCheck.EvaluateConsumer(consumer, HealthStatus.Degraded);

        Assert.Equal(HealthStatus.Degraded, result?.Status);
        Assert.Contains("it has not subscribed yet (waiting for the connection)", result?.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, 45, 30)]
    [InlineData(false, 10, 30)]
    [InlineData(false, 3600, -1)]
    public void EvaluateConsumer_WhenSubscribed_OrBrieflyNot_OrLeftOut_HasNothingToSay(bool subscribed, int notSubscribedForSeconds, int unhealthyAfterSeconds)
    {
        ConsumerStatus consumer = Status(subscribed, TimeSpan.FromSeconds(notSubscribedForSeconds), "connection lost") with
        {
            UnhealthyAfter = unhealthyAfterSeconds < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(unhealthyAfterSeconds),
        };

        Assert.Null(RabbitHaHealthCheck.EvaluateConsumer(consumer, HealthStatus.Unhealthy));
    }

    [Fact]
    public void EvaluateConsumer_WhenStopping_HasNothingToSay()
    {
        ConsumerStatus consumer = Status(subscribed: false, notSubscribedFor: TimeSpan.FromHours(1), lastError: null) with { Running = false };

        Assert.Null(RabbitHaHealthCheck.EvaluateConsumer(consumer, HealthStatus.Unhealthy));
    }

    [Fact]
    public void EvaluateConsumer_WithSomeSlotsHeldByHungHandlers_IsDegradedNamingTheLongest()
    {
        ConsumerStatus consumer = Status(subscribed: true, TimeSpan.Zero, null) with
        {
            HungHandlers = [new("m-7", TimeSpan.FromMinutes(12)), new("m-9", TimeSpan.FromMinutes(6))],
        };

        HealthCheckResult? result = RabbitHaHealthCheck.EvaluateConsumer(consumer, HealthStatus.Unhealthy);

        Assert.Equal(HealthStatus.Degraded, result?.Status);
        Assert.Equal("Consumer 'billing': 2 of its 4 handler slot(s) held by handlers that ignore their cancellation (the longest on message 'm-7' for 720 s).", result?.Description);
    }

    [Fact]
    public void EvaluateConsumer_WithEverySlotHeldByHungHandlers_IsUnhealthy()
    {
        ConsumerStatus consumer = Status(subscribed: true, TimeSpan.Zero, null) with
        {
            Concurrency = 1,
            HungHandlers = [new("m-7", TimeSpan.FromMinutes(12))],
        };

        HealthCheckResult? result = RabbitHaHealthCheck.EvaluateConsumer(consumer, HealthStatus.Unhealthy);

        Assert.Equal(HealthStatus.Unhealthy, result?.Status);
        Assert.EndsWith("it handles nothing until one returns or the process restarts.", result?.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckHealthAsync_NamesEveryRegisteredConsumerThatCannotSubscribe()
    {
        var options = Options.Create(new RabbitHaOptions { Host = "127.0.0.1", Port = ClosedPort.Get(), ClientProvidedName = "app" });
        using var metrics = new RabbitHaMetrics();
        await using var main = new RabbitHaConnection(options, metrics);
        await using var publishing = new RabbitHaConnection(options, metrics, purpose: ConnectionPurpose.Publishing);
        var registry = new ConsumerRegistry();
        await using var harness = new Consuming.SupervisorHarness();
        harness.Options.UnhealthyAfter = TimeSpan.FromMilliseconds(100);
        harness.Broker.ConsumeFailure = new RabbitMQ.Client.Exceptions.OperationInterruptedException(
            new RabbitMQ.Client.Events.ShutdownEventArgs(ShutdownInitiator.Peer, Constants.NotFound, "NOT_FOUND - no queue 'orders' in vhost '/'"));
        registry.Add(harness.Start((_, _) => Task.CompletedTask));
        var check = new RabbitHaHealthCheck(main, publishing, registry);

        HealthCheckResult result = default;
        await Eventually.HoldsAsync(() => (result = check.CheckHealthAsync(new HealthCheckContext()).Result).Description?.Contains("Consumer 'orders'", StringComparison.Ordinal) == true,
            "the consumer is named");

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("404 NOT_FOUND - no queue 'orders'", result.Description, StringComparison.Ordinal);
    }

    private static ConsumerStatus Status(bool subscribed, TimeSpan notSubscribedFor, string? lastError) =>
        new("billing", "orders", Running: true, subscribed, notSubscribedFor, lastError, TimeSpan.FromSeconds(30), Concurrency: 4, HungHandlers: []);
}
