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

    [Fact]
    public void Validate_WhenConfirmTimeoutNotPositive_NamesOptionAndValue()
    {
        Assert.Contains("RabbitHa:Publisher:ConfirmTimeout must be positive (was 00:00:00).", Failures(o => o.ConfirmTimeout = TimeSpan.Zero));
    }

    [Fact]
    public void Validate_WhenPublishTimeoutNegative_NamesOptionAndValue()
    {
        Assert.Contains("RabbitHa:Publisher:PublishTimeout must be positive (was -00:00:01).", Failures(o => o.PublishTimeout = TimeSpan.FromSeconds(-1)));
    }

    [Fact]
    public void Validate_WhenBaseDelayAboveMaxDelay_NamesBothOptions()
    {
        Assert.Contains(
            "RabbitHa:Publisher:RetryBaseDelay must not exceed RetryMaxDelay (00:00:01) (was 00:00:02).",
            Failures(o => o.RetryBaseDelay = TimeSpan.FromSeconds(2)));
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

    private IEnumerable<string> Failures(Action<RabbitHaPublisherOptions> change)
    {
        var options = new RabbitHaPublisherOptions();
        change(options);
        var result = _validator.Validate(null, options);
        Assert.True(result.Failed);
        return result.Failures!;
    }
}
