using Microsoft.Extensions.Diagnostics.HealthChecks;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Tests.TestSupport;
using RabbitMQ.Client;

namespace RabbitHa.Client.Tests;

[Trait("Category", "Unit")]
public sealed class RabbitHaConnectionHealthCheckTests
{
    [Fact]
    public async Task CheckHealthAsync_WhenOpenAndNotBlocked_IsHealthyNamingEndpoint()
    {
        var connection = new StubConnection { State = RabbitHaConnectionState.Open, CurrentEndpoint = new AmqpTcpEndpoint("haproxy", 5672) };

        HealthCheckResult result = await new RabbitHaConnectionHealthCheck(connection).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Contains("haproxy:5672", result.Description, StringComparison.Ordinal);
        Assert.Equal("Open", result.Data["state"]);
    }

    [Theory]
    [InlineData(RabbitHaConnectionState.Disconnected)]
    [InlineData(RabbitHaConnectionState.Connecting)]
    [InlineData(RabbitHaConnectionState.Recovering)]
    [InlineData(RabbitHaConnectionState.Closed)]
    public async Task CheckHealthAsync_WhenNotOpen_IsUnhealthyNamingState(RabbitHaConnectionState state)
    {
        var connection = new StubConnection { State = state };

        HealthCheckResult result = await new RabbitHaConnectionHealthCheck(connection).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal($"RabbitMQ connection 'stub' is {state}.", result.Description);
    }

    [Fact]
    public async Task CheckHealthAsync_WhenOpenButBlocked_IsUnhealthyWithReason()
    {
        var connection = new StubConnection { State = RabbitHaConnectionState.Open, BlockedReason = "low on memory" };

        HealthCheckResult result = await new RabbitHaConnectionHealthCheck(connection).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("RabbitMQ connection 'stub' is blocked by the broker: low on memory.", result.Description);
        Assert.Equal("low on memory", result.Data["blockedReason"]);
    }

    [Fact]
    public async Task CheckHealthAsync_WhenRegistrationSetsFailureStatus_UsesIt()
    {
        var connection = new StubConnection { State = RabbitHaConnectionState.Recovering };
        var context = new HealthCheckContext
        {
            Registration = new HealthCheckRegistration("rabbitha", new RabbitHaConnectionHealthCheck(connection), HealthStatus.Degraded, null),
        };

        HealthCheckResult result = await context.Registration.Factory(null!).CheckHealthAsync(context);

        Assert.Equal(HealthStatus.Degraded, result.Status);
    }

    [Fact]
    public void Constructor_WhenConnectionNull_ThrowsArgumentNullExceptionNamingConnection()
    {
        Assert.Equal("connection", Assert.Throws<ArgumentNullException>(() => new RabbitHaConnectionHealthCheck(null!)).ParamName);
    }
}
