using RabbitHa.Client;

namespace RabbitHa.Redis.Tests.Unit;

/// <summary>The options' own checks: each failure names the option by its configuration path and the bad value, never the password.</summary>
[Trait("Category", "Unit")]
public sealed class RedisDeduplicationOptionsValidatorTests
{
    private const string Section = "RabbitHa:Redis";

    [Fact]
    public void Defaults_WithARegisteredConnection_AreValid()
    {
        var options = new RedisDeduplicationOptions();

        Assert.Empty(RedisDeduplicationOptionsValidator.Check(Section, options, hasConnection: true));
        Assert.Equal("rabbitha:dedupe:", options.KeyPrefix);
        Assert.Equal(TimeSpan.FromMinutes(6), options.ClaimExpiry);
        Assert.Equal(TimeSpan.FromHours(24), options.HandledExpiry);
        Assert.Equal(TimeSpan.FromSeconds(2), options.OperationTimeout);
        Assert.Equal(RedisUnavailableBehavior.FailClosed, options.WhenUnavailable);
        Assert.Null(options.Configuration);
    }

    [Fact]
    public void DefaultClaimExpiry_ExceedsTheConsumersDefaultHandlerTimeout_AndOperationTimeoutIsBelowItsStoreTimeout()
    {
        var store = new RedisDeduplicationOptions();
        var consumer = new RabbitHaConsumerOptions();

        Assert.True(store.ClaimExpiry > consumer.HandlerTimeout);
        Assert.True(store.OperationTimeout < consumer.DeduplicationStoreTimeout);
    }

    [Fact]
    public void Check_WithNeitherConfigurationNorConnection_FailsNamingConfiguration()
    {
        List<string> failures = RedisDeduplicationOptionsValidator.Check(Section, new RedisDeduplicationOptions(), hasConnection: false);

        string failure = Assert.Single(failures);
        Assert.Equal("RabbitHa:Redis:Configuration is required when no StackExchange.Redis IConnectionMultiplexer is registered in the service collection (was null).", failure);
    }

    [Fact]
    public void Check_WithAConfigurationString_NeedsNoRegisteredConnection()
    {
        var options = new RedisDeduplicationOptions { Configuration = "redis1:6379,redis2:6380,password=hunter2,ssl=true" };

        Assert.Empty(RedisDeduplicationOptionsValidator.Check(Section, options, hasConnection: false));
    }

    [Theory]
    [InlineData("127.0.0.1:6379,password=hunter2,noSuchKeyword=1")]
    [InlineData("password=hunter2")]
    public void Check_WhenConfigurationIsInvalid_NamesItWithoutThePassword(string configuration)
    {
        var options = new RedisDeduplicationOptions { Configuration = configuration };

        string failure = Assert.Single(RedisDeduplicationOptionsValidator.Check(Section, options, hasConnection: true));

        Assert.StartsWith("RabbitHa:Redis:Configuration ", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", failure, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> InvalidValues => new()
    {
        { "ClaimExpiry", "00:00:00", "RabbitHa:Redis:ClaimExpiry must be between 00:00:01 and 7.00:00:00 (was 00:00:00)." },
        { "ClaimExpiry", "8.00:00:00", "RabbitHa:Redis:ClaimExpiry must be between 00:00:01 and 7.00:00:00 (was 8.00:00:00)." },
        { "HandledExpiry", "00:00:00.5", "RabbitHa:Redis:HandledExpiry must be between 00:00:01 and 365.00:00:00 (was 00:00:00.5000000)." },
        { "HandledExpiry", "400.00:00:00", "RabbitHa:Redis:HandledExpiry must be between 00:00:01 and 365.00:00:00 (was 400.00:00:00)." },
        { "OperationTimeout", "00:00:00", "RabbitHa:Redis:OperationTimeout must be between 00:00:00.0010000 and 00:05:00 (was 00:00:00)." },
        { "OperationTimeout", "-00:00:00.001", "RabbitHa:Redis:OperationTimeout must be between 00:00:00.0010000 and 00:05:00 (was -00:00:00.0010000)." },
        { "WhenUnavailable", "7", "RabbitHa:Redis:WhenUnavailable must be FailClosed or FailOpen (was 7)." },
        { "KeyPrefix", "", "RabbitHa:Redis:KeyPrefix must not be empty (was empty): the store's keys would mix with everything else in Redis." },
        { "KeyPrefix", "null", "RabbitHa:Redis:KeyPrefix must not be empty (was null): the store's keys would mix with everything else in Redis." },
        { "KeyPrefix", new string('k', 257), "RabbitHa:Redis:KeyPrefix must be at most 256 characters (was 257 characters)." },
    };

    [Theory]
    [MemberData(nameof(InvalidValues))]
    public void Check_WhenAValueIsOutOfRange_NamesTheOptionAndTheValue(string option, string value, string expected)
    {
        var options = new RedisDeduplicationOptions();
        switch (option)
        {
            case nameof(options.ClaimExpiry):
                options.ClaimExpiry = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                break;
            case nameof(options.HandledExpiry):
                options.HandledExpiry = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                break;
            case nameof(options.OperationTimeout):
                options.OperationTimeout = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                break;
            case nameof(options.WhenUnavailable):
                options.WhenUnavailable = (RedisUnavailableBehavior)int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                break;
            default:
                options.KeyPrefix = value == "null" ? null! : value;
                break;
        }

        string failure = Assert.Single(RedisDeduplicationOptionsValidator.Check(Section, options, hasConnection: true));

        Assert.Equal(expected, failure);
    }

    [Fact]
    public void Validate_NamesOptionsByTheSectionPathItWasGiven()
    {
        var validator = new RedisDeduplicationOptionsValidator("Messaging:Dedupe", () => true);

        var result = validator.Validate(null, new RedisDeduplicationOptions { ClaimExpiry = TimeSpan.Zero });

        Assert.True(result.Failed);
        Assert.Contains("Messaging:Dedupe:ClaimExpiry must be", result.FailureMessage, StringComparison.Ordinal);
    }
}
