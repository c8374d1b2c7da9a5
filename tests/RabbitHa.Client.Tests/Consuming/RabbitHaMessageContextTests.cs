using System.Text;
using RabbitHa.Client.Internal.Consuming;
using RabbitMQ.Client;

namespace RabbitHa.Client.Tests.Consuming;

[Trait("Category", "Unit")]
public sealed class RabbitHaMessageContextTests
{
    [Fact]
    public void Context_CarriesTheDeliveryAndProperties()
    {
        var properties = new BasicProperties { MessageId = "m-1" };

        var context = new RabbitHaMessageContext("billing", "orders", "ex", "rk", redelivered: false, deliveryCount: 1, properties);

        Assert.Equal(("billing", "orders", "ex", "rk", "m-1", 1), (context.ConsumerName, context.Queue, context.Exchange, context.RoutingKey, context.MessageId, context.DeliveryCount));
        Assert.Same(properties, context.Properties);
        Assert.False(context.IsPossibleDuplicate);
    }

    [Fact]
    public void IsPossibleDuplicate_WhenRedelivered()
    {
        var context = new RabbitHaMessageContext("c", "q", "", "q", redelivered: true, deliveryCount: 2, new BasicProperties());

        Assert.True(context.IsPossibleDuplicate);
        Assert.False(context.IsResent);
    }

    [Fact]
    public void IsPossibleDuplicate_WhenAnEarlierAttemptFailed()
    {
        var context = new RabbitHaMessageContext("c", "q", "", "q", redelivered: false, deliveryCount: 2, new BasicProperties());

        Assert.True(context.IsPossibleDuplicate);
    }

    [Theory]
    [InlineData(new byte[] { 0x65, 0x78 }, "ex")]
    [InlineData("ex", "ex")]
    [InlineData(42, null)]
    public void GetString_ReadsBytesAndStrings(object value, string? expected)
    {
        var headers = new Dictionary<string, object?> { [RabbitHaHeaders.OriginalExchange] = value };

        Assert.Equal(expected, MessageHeaders.GetString(headers, RabbitHaHeaders.OriginalExchange));
        Assert.Null(MessageHeaders.GetString(null, RabbitHaHeaders.OriginalExchange));
    }

    [Theory]
    [MemberData(nameof(ResentHeaderValues))]
    public void IsResent_ReadsTheHeaderWhateverItsWireType(object value, bool expected)
    {
        var properties = new BasicProperties { Headers = new Dictionary<string, object?> { [RabbitHaHeaders.Resent] = value } };

        var context = new RabbitHaMessageContext("c", "q", "", "q", redelivered: false, deliveryCount: 1, properties);

        Assert.Equal(expected, context.IsResent);
        Assert.Equal(expected, context.IsPossibleDuplicate);
    }

    public static TheoryData<object, bool> ResentHeaderValues() => new()
    {
        { true, true },
        { false, false },
        { Encoding.UTF8.GetBytes("true"), true },
        { Encoding.UTF8.GetBytes("no"), false },
        { "True", true },
        { 1, false },
    };

    [Theory]
    [MemberData(nameof(DeliveryCountValues))]
    public void GetInt64_ReadsEveryIntegerWidth(object value, long? expected)
    {
        var headers = new Dictionary<string, object?> { [RabbitHaHeaders.DeliveryCount] = value };

        Assert.Equal(expected, MessageHeaders.GetInt64(headers, RabbitHaHeaders.DeliveryCount));
    }

    public static TheoryData<object, long?> DeliveryCountValues() => new()
    {
        { 3L, 3 },
        { 3, 3 },
        { (short)3, 3 },
        { (byte)3, 3 },
        { 3u, 3 },
        { ulong.MaxValue, long.MaxValue },
        { "3", null },
    };

    [Fact]
    public void GetInt64_WhenNoHeaders_IsNull()
    {
        Assert.Null(MessageHeaders.GetInt64(null, RabbitHaHeaders.DeliveryCount));
        Assert.Null(MessageHeaders.GetInt64(new Dictionary<string, object?>(), RabbitHaHeaders.DeliveryCount));
    }
}
