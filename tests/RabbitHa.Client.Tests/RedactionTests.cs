using RabbitHa.Client.Internal.Diagnostics;

namespace RabbitHa.Client.Tests;

[Trait("Category", "Unit")]
public sealed class RedactionTests
{
    [Theory]
    [InlineData("amqp://user:pass@host:5672/vh", "amqp://***@host:5672/vh")]
    [InlineData("amqps://user@host", "amqps://***@host")]
    [InlineData("amqp://user:p/a@ss@host/", "amqp://***@host/")]
    [InlineData("user:pass@host", "***@host")]
    [InlineData("amqp://host:5672/", "amqp://host:5672/")]
    [InlineData("host:5672", "host:5672")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void RedactUri_HidesUserInformation(string? value, string expected)
    {
        Assert.Equal(expected, Redaction.RedactUri(value));
    }
}
