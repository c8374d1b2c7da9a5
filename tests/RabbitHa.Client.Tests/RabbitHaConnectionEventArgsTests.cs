using RabbitMQ.Client;

namespace RabbitHa.Client.Tests;

/// <summary>The events' arguments are RabbitHa's own, and can be made by a test double of <see cref="IRabbitHaConnection"/>.</summary>
[Trait("Category", "Unit")]
public sealed class RabbitHaConnectionEventArgsTests
{
    [Fact]
    public void Constructors_KeepWhatTheyAreGiven()
    {
        var reset = new IOException("reset");
        var haproxy = new AmqpTcpEndpoint("haproxy", 5672);
        var node1 = new AmqpTcpEndpoint("node1", 5672);

        var lost = new RabbitHaConnectionLostEventArgs(haproxy, 541, "Unexpected Exception", initiatedByBroker: false, reset, willRecover: true);
        var failed = new RabbitHaRecoveryFailedEventArgs(reset, TimeSpan.FromMilliseconds(250));

        Assert.Equal((haproxy, (ushort)541, "Unexpected Exception", false, reset, true),
            (lost.Endpoint, lost.ReplyCode, lost.ReplyText, lost.InitiatedByBroker, lost.Exception, lost.WillRecover));
        Assert.Equal((reset, TimeSpan.FromMilliseconds(250)), (failed.Exception, failed.NextAttemptIn));
        Assert.Same(node1, new RabbitHaConnectionRecoveredEventArgs(node1).Endpoint);
        Assert.Equal("low on memory", new RabbitHaConnectionBlockedEventArgs("low on memory").Reason);
        Assert.Equal(TimeSpan.FromSeconds(3), new RabbitHaConnectionUnblockedEventArgs(TimeSpan.FromSeconds(3)).BlockedFor);
        Assert.Null(new RabbitHaConnectionLostEventArgs(null, 320, "CONNECTION_FORCED", true, null, true).Endpoint);
    }

    [Fact]
    public void Constructors_WhenRequiredArgumentsAreMissing_ThrowArgumentNullExceptionNamingThem()
    {
        Assert.Equal("replyText", Assert.Throws<ArgumentNullException>(() => new RabbitHaConnectionLostEventArgs(null, 541, null!, false, null, true)).ParamName);
        Assert.Equal("endpoint", Assert.Throws<ArgumentNullException>(() => new RabbitHaConnectionRecoveredEventArgs(null!)).ParamName);
        Assert.Equal("exception", Assert.Throws<ArgumentNullException>(() => new RabbitHaRecoveryFailedEventArgs(null!, TimeSpan.Zero)).ParamName);
        Assert.Equal("reason", Assert.Throws<ArgumentNullException>(() => new RabbitHaConnectionBlockedEventArgs(null!)).ParamName);
    }

    [Fact]
    public void Constructors_WhenADurationIsNegative_ThrowArgumentOutOfRangeExceptionNamingIt()
    {
        Assert.Equal("nextAttemptIn", Assert.Throws<ArgumentOutOfRangeException>(
            () => new RabbitHaRecoveryFailedEventArgs(new IOException(), TimeSpan.FromTicks(-1))).ParamName);
        Assert.Equal("blockedFor", Assert.Throws<ArgumentOutOfRangeException>(
            () => new RabbitHaConnectionUnblockedEventArgs(TimeSpan.FromTicks(-1))).ParamName);
    }
}
