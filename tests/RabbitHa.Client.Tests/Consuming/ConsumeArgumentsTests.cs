using RabbitHa.Client.Internal.Consuming;

namespace RabbitHa.Client.Tests.Consuming;

/// <summary>
/// <c>x-cancel-on-ha-failover</c> is sent only where a mirrored queue's master can move: not on RabbitMQ 4, which has no
/// mirroring. An unknown version is taken for RabbitMQ 3, as before RabbitHa read it.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ConsumeArgumentsTests
{
    [Theory]
    [InlineData("3.13.7")]
    [InlineData("3.10.8")]
    [InlineData(null)]
    public async Task Subscribe_OnRabbitMq3OrAnUnknownVersion_AsksToBeCancelledOnHaFailover(string? version)
    {
        await using var harness = new SupervisorHarness();
        harness.Broker.BrokerVersion = version is null ? null : Version.Parse(version);
        harness.Start((_, _) => Task.CompletedTask);

        RecordingChannel channel = await harness.SubscribedAsync(1);

        Assert.NotNull(channel.ConsumeArguments);
        Assert.Equal(true, Assert.Contains(Subscription.CancelOnHaFailoverArgument, channel.ConsumeArguments));
    }

    [Theory]
    [InlineData("4.0.5")]
    [InlineData("4.1.0")]
    public async Task Subscribe_OnRabbitMq4_SendsNoCancelOnHaFailover(string version)
    {
        await using var harness = new SupervisorHarness();
        harness.Broker.BrokerVersion = Version.Parse(version);
        harness.Start((_, _) => Task.CompletedTask);

        RecordingChannel channel = await harness.SubscribedAsync(1);

        Assert.Null(channel.ConsumeArguments);
    }

    [Fact]
    public async Task Subscribe_AfterARecoveryOntoRabbitMq4_StopsSendingIt()
    {
        await using var harness = new SupervisorHarness();
        harness.Broker.BrokerVersion = new Version(3, 13, 7);
        harness.Start((_, _) => Task.CompletedTask);
        RecordingChannel first = await harness.SubscribedAsync(1);

        harness.Broker.BrokerVersion = new Version(4, 0, 5);
        await first.ShutDownAsync(SupervisorHarness.ConnectionLost());
        RecordingChannel second = await harness.SubscribedAsync(2);

        Assert.NotNull(first.ConsumeArguments);
        Assert.Null(second.ConsumeArguments);
    }

    [Fact]
    public async Task Subscribe_WhenTurnedOff_SendsNoArguments()
    {
        await using var harness = new SupervisorHarness();
        harness.Options.CancelOnHaFailover = false;
        harness.Broker.BrokerVersion = new Version(3, 13, 7);
        harness.Start((_, _) => Task.CompletedTask);

        RecordingChannel channel = await harness.SubscribedAsync(1);

        Assert.Null(channel.ConsumeArguments);
    }

    [Theory]
    [InlineData(true, null, true)]
    [InlineData(true, "3.13.7", true)]
    [InlineData(true, "4.0.0", false)]
    [InlineData(false, "3.13.7", false)]
    [InlineData(false, null, false)]
    public void ConsumeArguments_CarryTheArgumentOnlyWhereMirroringExists(bool cancelOnHaFailover, string? version, bool expected)
    {
        Dictionary<string, object?>? arguments = Subscription.ConsumeArguments(cancelOnHaFailover, version is null ? null : Version.Parse(version));

        Assert.Equal(expected, arguments?.ContainsKey(Subscription.CancelOnHaFailoverArgument) ?? false);
    }
}
