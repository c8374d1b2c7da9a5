using RabbitHa.Client.Internal.Publishing;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace RabbitHa.Client.Tests.Publishing;

[Trait("Category", "Unit")]
public sealed class KnownRejectionsTests
{
    private readonly ManualClock _clock = new();

    [Fact]
    public void Explain_ForAnExchangeFoundMissing_SaysSoUntilTheMemoryExpires()
    {
        var known = new KnownRejections(_clock);
        known.Learn(Rejection(Constants.NotFound, "NOT_FOUND - no exchange 'orders' in vhost '/'"));

        Assert.Contains("404 NOT_FOUND - no exchange 'orders'", known.Explain("orders", 10), StringComparison.Ordinal);
        Assert.Null(known.Explain("payments", 10));

        _clock.Advance(KnownRejections.Memory);
        Assert.Null(known.Explain("orders", 10));
    }

    [Fact]
    public void Explain_ForABodyOverTheMaximumTheBrokerNamed_SaysSo()
    {
        var known = new KnownRejections(_clock);
        known.Learn(Rejection(Constants.PreconditionFailed, "PRECONDITION_FAILED - message size 200 is larger than configured max size 100"));

        Assert.Contains("larger than the broker's max message size (100 bytes", known.Explain("any", 101), StringComparison.Ordinal);
        Assert.Null(known.Explain("any", 100));
    }

    [Fact]
    public void Explain_ForABodyOverRabbitMqsCeiling_SaysSoWithoutHavingAsked()
    {
        var known = new KnownRejections(_clock);

        Assert.NotNull(known.Explain("any", KnownRejections.BrokerMaxMessageSize + 1));
    }

    [Fact]
    public void Learn_ATopicRefusal_IsNotRememberedForTheWholeExchange()
    {
        var known = new KnownRejections(_clock);
        known.Learn(Rejection(Constants.AccessRefused, "ACCESS_REFUSED - access to topic 'k' in exchange 'orders' in vhost '/' refused for user 'u'"));

        Assert.Null(known.Explain("orders", 10));
    }

    [Fact]
    public void Learn_BeyondMaxExchanges_ForgetsTheOldestFirst()
    {
        var known = new KnownRejections(_clock);
        for (var i = 0; i <= KnownRejections.MaxExchanges; i++)
        {
            known.Learn(Rejection(Constants.NotFound, $"NOT_FOUND - no exchange 'x{i}' in vhost '/'"));
            _clock.Advance(TimeSpan.FromTicks(1));
        }

        Assert.Null(known.Explain("x0", 10));
        Assert.NotNull(known.Explain($"x{KnownRejections.MaxExchanges}", 10));
    }

    private static ChannelRejection Rejection(ushort code, string text) => ChannelRejection.Read(new ShutdownEventArgs(ShutdownInitiator.Peer, code, text));

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = 1;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
