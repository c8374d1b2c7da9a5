using System.Globalization;
using Microsoft.Extensions.Options;

namespace RabbitHa.Client.Internal.Publishing;

/// <summary>Checks <see cref="RabbitHaPublisherOptions"/> at start; each message names the option and the bad value.</summary>
internal sealed class RabbitHaPublisherOptionsValidator(string sectionPath) : IValidateOptions<RabbitHaPublisherOptions>
{
    public ValidateOptionsResult Validate(string? name, RabbitHaPublisherOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.MaxInFlight is < 1 or > 65535)
        {
            failures.Add(Message(nameof(options.MaxInFlight), "must be between 1 and 65535", options.MaxInFlight));
        }

        // The timeouts: the range Polly's TimeoutStrategyOptions accepts; outside it, building the publisher's pipeline
        // would throw at first use, with a message that names no option. The delays: up to a day, as the other backoffs,
        // and RetryDelay not above MaxRetryDelay, which the backoff (JitteredBackoff) needs.
        InRange(failures, nameof(options.ConfirmTimeout), options.ConfirmTimeout, MinTimeout, MaxDelay);
        InRange(failures, nameof(options.PublishTimeout), options.PublishTimeout, MinTimeout, MaxDelay);
        InRange(failures, nameof(options.MaxRetryDelay), options.MaxRetryDelay, TimeSpan.FromTicks(1), MaxDelay);
        if (options.ConfirmTimeout > options.PublishTimeout && options.PublishTimeout > TimeSpan.Zero)
        {
            failures.Add(Message(nameof(options.ConfirmTimeout), $"must not exceed PublishTimeout ({options.PublishTimeout})", options.ConfirmTimeout));
        }

        if (options.RetryDelay < TimeSpan.Zero || options.RetryDelay > MaxDelay)
        {
            failures.Add(Message(nameof(options.RetryDelay), $"must be between 00:00:00 and {MaxDelay}", options.RetryDelay));
        }
        else if (options.RetryDelay > options.MaxRetryDelay)
        {
            failures.Add(Message(nameof(options.RetryDelay), $"must not exceed MaxRetryDelay ({options.MaxRetryDelay})", options.RetryDelay));
        }

        if (options.MaxNackRetries < 0)
        {
            failures.Add(Message(nameof(options.MaxNackRetries), "must not be negative", options.MaxNackRetries));
        }

        if (options.MaxWaitingPublishes < 0)
        {
            failures.Add(Message(nameof(options.MaxWaitingPublishes), "must not be negative", options.MaxWaitingPublishes));
        }

        if (options.StopTimeout < TimeSpan.Zero)
        {
            failures.Add(Message(nameof(options.StopTimeout), "must not be negative", options.StopTimeout));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static readonly TimeSpan MinTimeout = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromDays(1);

    private void InRange(List<string> failures, string option, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            failures.Add(Message(option, $"must be between {min} and {max}", value));
        }
    }

    private string Message(string option, string rule, object value) =>
        string.Create(CultureInfo.InvariantCulture, $"{sectionPath}:{option} {rule} (was {value}).");
}
