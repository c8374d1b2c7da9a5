using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Tests.TestSupport;

namespace RabbitHa.Client.Tests;

/// <summary>What the broker says it is: its version read from the server properties, and what RabbitMQ 4 changes.</summary>
[Trait("Category", "Unit")]
public sealed class BrokerInfoTests
{
    [Theory]
    [InlineData("4.0.5", "4.0.5")]
    [InlineData("3.10.8", "3.10.8")]
    [InlineData("3.13.7", "3.13.7")]
    [InlineData("4.1", "4.1")]
    [InlineData("4.1.0-rc.1", "4.1.0")]
    [InlineData("3.13.7+2.g1234abc", "3.13.7")]
    [InlineData(" 4.0.5 ", "4.0.5")]
    public void ParseVersion_ReadsTheNumericPart(string text, string expected)
    {
        Assert.Equal(Version.Parse(expected), BrokerInfo.ParseVersion(text));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("garbage")]
    [InlineData("4")]
    [InlineData("v4.0.5")]
    [InlineData("4.x")]
    [InlineData("4.0.5 beta")]
    [InlineData("-4.0.5")]
    [InlineData("4..5")]
    [InlineData("99999999999.0")]
    public void ParseVersion_WhenUnreadable_IsNull(string? text)
    {
        Assert.Null(BrokerInfo.ParseVersion(text));
    }

    [Theory]
    [InlineData("4.0.5", true)]
    [InlineData("4.2.0", true)]
    [InlineData("5.0.0", true)]
    [InlineData("3.13.7", false)]
    [InlineData("3.10.8", false)]
    public void FromServerProperties_ReadsRabbitMqsVersionFromUtf8Bytes(string version, bool unreplicated)
    {
        BrokerInfo broker = BrokerInfo.FromServerProperties(StubAmqpConnection.Properties("RabbitMQ", version));

        Assert.Equal(Version.Parse(version), broker.Version);
        Assert.Equal(unreplicated, broker.ClassicQueuesUnreplicated);
        Assert.Equal($"RabbitMQ {version}", broker.ToString());
    }

    [Theory]
    [InlineData("RabbitMQ", null)]
    [InlineData("RabbitMQ", "garbage")]
    [InlineData(null, "4.0.5")]
    [InlineData(null, null)]
    [InlineData("LavinMQ", "4.0.0")]
    public void FromServerProperties_WhenTheVersionIsMissingUnreadableOrNotRabbitMqs_HasNoVersionAndNoRabbitMq4Behaviour(string? product, string? version)
    {
        BrokerInfo broker = BrokerInfo.FromServerProperties(StubAmqpConnection.Properties(product, version));

        Assert.Null(broker.Version);
        Assert.False(broker.ClassicQueuesUnreplicated);
        Assert.Equal((product, version), (broker.Product, broker.VersionText));
    }

    [Fact]
    public void FromServerProperties_WhenThereAreNone_IsUnknown()
    {
        Assert.Same(BrokerInfo.Unknown, BrokerInfo.FromServerProperties(null));
        Assert.Null(BrokerInfo.Unknown.Version);
    }

    [Fact]
    public void FromServerProperties_TakesStringValuesAndIgnoresOtherTypes()
    {
        Assert.Equal(new Version(4, 0, 5), BrokerInfo.FromServerProperties(new Dictionary<string, object?> { ["product"] = "RabbitMQ", ["version"] = "4.0.5" }).Version);
        Assert.Null(BrokerInfo.FromServerProperties(new Dictionary<string, object?> { ["product"] = "RabbitMQ", ["version"] = 4 }).Version);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("3.13.7", false)]
    [InlineData("4.0.0", true)]
    public void HasUnreplicatedClassicQueues_OnlyFromRabbitMq4On(string? version, bool expected)
    {
        Assert.Equal(expected, BrokerInfo.HasUnreplicatedClassicQueues(version is null ? null : Version.Parse(version)));
    }
}
