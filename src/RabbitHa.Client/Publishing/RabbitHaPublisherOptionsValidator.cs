using System.Globalization;
using Microsoft.Extensions.Options;

namespace RabbitHa.Client;

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

        Positive(failures, nameof(options.ConfirmTimeout), options.ConfirmTimeout);
        Positive(failures, nameof(options.PublishTimeout), options.PublishTimeout);
        Positive(failures, nameof(options.RetryMaxDelay), options.RetryMaxDelay);
        if (options.ConfirmTimeout > options.PublishTimeout && options.PublishTimeout > TimeSpan.Zero)
        {
            failures.Add(Message(nameof(options.ConfirmTimeout), $"must not exceed PublishTimeout ({options.PublishTimeout})", options.ConfirmTimeout));
        }

        if (options.RetryBaseDelay < TimeSpan.Zero)
        {
            failures.Add(Message(nameof(options.RetryBaseDelay), "must not be negative", options.RetryBaseDelay));
        }
        else if (options.RetryBaseDelay > options.RetryMaxDelay)
        {
            failures.Add(Message(nameof(options.RetryBaseDelay), $"must not exceed RetryMaxDelay ({options.RetryMaxDelay})", options.RetryBaseDelay));
        }

        if (options.MaxNackRetries < 0)
        {
            failures.Add(Message(nameof(options.MaxNackRetries), "must not be negative", options.MaxNackRetries));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private void Positive(List<string> failures, string option, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add(Message(option, "must be positive", value));
        }
    }

    private string Message(string option, string rule, object value) =>
        string.Create(CultureInfo.InvariantCulture, $"{sectionPath}:{option} {rule} (was {value}).");
}
