using System.Globalization;
using Microsoft.Extensions.Options;
using RabbitHa.Client.Internal.Publishing;
namespace RabbitHa.Client.Tests.Publishing;

[Trait("Category", "Unit")]
public sealed class RabbitHaPublisherOptionsValidatorTests
{
    private readonly RabbitHaPublisherOptionsValidator _validator = new("RabbitHa:Publisher");

    [Fact]
    public void Validate_WhenDefaults_Succeeds()
    {
        var result = _validator.Validate(null, new RabbitHaPublisherOptions());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(70000)]
    public void Validate_WhenMaxInFlightOutOfRange_NamesOptionAndValue(int maxInFlight)
    {
        Assert.Contains($"RabbitHa:Publisher:MaxInFlight must be between 1 and 65535 (was {maxInFlight}).", Failures(o => o.MaxInFlight = maxInFlight));
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:00:00.009")]
    public void Validate_WhenConfirmTimeoutBelowPollysMinimum_NamesOptionAndValue(string value)
    {
        Assert.Contains($"RabbitHa:Publisher:ConfirmTimeout must be between 00:00:00.0100000 and 1.00:00:00 (was {TimeSpan.Parse(value, CultureInfo.InvariantCulture)}).",
            Failures(o => o.ConfirmTimeout = TimeSpan.Parse(value, CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Validate_WhenPublishTimeoutNegative_NamesOptionAndValue()
    {
        Assert.Contains("RabbitHa:Publisher:PublishTimeout must be between 00:00:00.0100000 and 1.00:00:00 (was -00:00:01).", Failures(o => o.PublishTimeout = TimeSpan.FromSeconds(-1)));
    }

    [Fact]
    public void Validate_WhenTimeoutsAboveOneDay_NamesEachOption()
    {
        string[] failures = [.. Failures(o =>
        {
            o.PublishTimeout = TimeSpan.FromDays(2);
            o.ConfirmTimeout = TimeSpan.FromDays(2);
            o.MaxRetryDelay = TimeSpan.FromDays(2);
            o.RetryDelay = TimeSpan.FromDays(2);
        })];

        Assert.Contains(failures, f => f.StartsWith("RabbitHa:Publisher:PublishTimeout must be between", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("RabbitHa:Publisher:ConfirmTimeout must be between", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("RabbitHa:Publisher:MaxRetryDelay must be between", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("RabbitHa:Publisher:RetryDelay must be between", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_AtPollysLimits_BuildsThePipeline()
    {
        var options = new RabbitHaPublisherOptions
        {
            ConfirmTimeout = TimeSpan.FromMilliseconds(10),
            PublishTimeout = TimeSpan.FromDays(1),
            RetryDelay = TimeSpan.Zero,
            MaxRetryDelay = TimeSpan.FromDays(1),
        };

        ValidateOptionsResult result = _validator.Validate(null, options);

        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.NotNull(PublishRetryPipeline.Create(options, static _ => default));
    }

    [Fact]
    public void Validate_WhenRetryDelayAboveMaxRetryDelay_NamesBothOptions()
    {
        Assert.Contains(
            "RabbitHa:Publisher:RetryDelay must not exceed MaxRetryDelay (00:00:01) (was 00:00:02).",
            Failures(o => o.RetryDelay = TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public void Validate_WhenConfirmTimeoutExceedsPublishTimeout_NamesBothOptions()
    {
        Assert.Contains(
            "RabbitHa:Publisher:ConfirmTimeout must not exceed PublishTimeout (00:00:10) (was 00:00:30).",
            Failures(o => o.PublishTimeout = TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Validate_WhenMaxNackRetriesNegative_NamesOptionAndValue()
    {
        Assert.Contains("RabbitHa:Publisher:MaxNackRetries must not be negative (was -1).", Failures(o => o.MaxNackRetries = -1));
    }

    [Fact]
    public void Validate_WhenMaxWaitingPublishesNegative_NamesOptionAndValue()
    {
        Assert.Contains("RabbitHa:Publisher:MaxWaitingPublishes must not be negative (was -1).", Failures(o => o.MaxWaitingPublishes = -1));
    }

    [Fact]
    public void Validate_WhenStopTimeoutNegative_NamesOptionAndValue()
    {
        Assert.Contains("RabbitHa:Publisher:StopTimeout must not be negative (was -00:00:01).", Failures(o => o.StopTimeout = TimeSpan.FromSeconds(-1)));
    }

    [Fact]
    public void Validate_WhenNoWaitingAndNoStopTimeout_Succeeds()
    {
        var result = _validator.Validate(null, new RabbitHaPublisherOptions { MaxWaitingPublishes = 0, StopTimeout = TimeSpan.Zero });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    private IEnumerable<string> Failures(Action<RabbitHaPublisherOptions> change)
    {
        var options = new RabbitHaPublisherOptions();
        change(options);
        var result = _validator.Validate(null, options);
        Assert.True(result.Failed);
        return result.Failures!;
    }
}
