using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace RabbitHa.Redis;

/// <summary>
/// Checks <see cref="RedisDeduplicationOptions"/> when the host starts (and when a store is created without dependency
/// injection). Each failure names the option and its value; never the configuration string, which may carry a password.
/// </summary>
internal sealed class RedisDeduplicationOptionsValidator(string sectionPath, Func<bool> connectionRegistered) : IValidateOptions<RedisDeduplicationOptions>
{
    /// <summary>The default configuration path of the options: <c>RabbitHa:Redis</c>.</summary>
    public const string DefaultSectionPath = "RabbitHa:" + RedisDeduplicationOptions.SectionName;

    private const int MaxKeyPrefixLength = 256;
    private static readonly TimeSpan s_minExpiry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_maxClaimExpiry = TimeSpan.FromDays(7);
    private static readonly TimeSpan s_maxHandledExpiry = TimeSpan.FromDays(365);
    private static readonly TimeSpan s_minOperationTimeout = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan s_maxOperationTimeout = TimeSpan.FromMinutes(5);

    public ValidateOptionsResult Validate(string? name, RedisDeduplicationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> failures = Check(sectionPath, options, connectionRegistered());
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Validates options given to a store directly, outside dependency injection.</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every failure.</exception>
    public static void ThrowIfInvalid(RedisDeduplicationOptions options, bool hasConnection, string paramName)
    {
        List<string> failures = Check(DefaultSectionPath, options, hasConnection);
        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", failures), paramName);
        }
    }

    internal static List<string> Check(string sectionPath, RedisDeduplicationOptions options, bool hasConnection)
    {
        var failures = new List<string>();
        if (!string.IsNullOrWhiteSpace(options.Configuration))
        {
            CheckConfiguration(sectionPath, options.Configuration, failures);
        }
        else if (!hasConnection)
        {
            failures.Add($"{sectionPath}:Configuration is required when no StackExchange.Redis IConnectionMultiplexer is registered in the service collection (was {(options.Configuration is null ? "null" : "empty")}).");
        }

        if (string.IsNullOrEmpty(options.KeyPrefix))
        {
            failures.Add($"{sectionPath}:KeyPrefix must not be empty (was {(options.KeyPrefix is null ? "null" : "empty")}): the store's keys would mix with everything else in Redis.");
        }
        else if (options.KeyPrefix.Length > MaxKeyPrefixLength)
        {
            failures.Add(Message(sectionPath, nameof(options.KeyPrefix), $"must be at most {MaxKeyPrefixLength} characters", $"{options.KeyPrefix.Length} characters"));
        }

        InRange(failures, sectionPath, nameof(options.ClaimExpiry), options.ClaimExpiry, s_minExpiry, s_maxClaimExpiry);
        InRange(failures, sectionPath, nameof(options.HandledExpiry), options.HandledExpiry, s_minExpiry, s_maxHandledExpiry);
        InRange(failures, sectionPath, nameof(options.OperationTimeout), options.OperationTimeout, s_minOperationTimeout, s_maxOperationTimeout);
        if (!Enum.IsDefined(options.WhenUnavailable))
        {
            failures.Add(Message(sectionPath, nameof(options.WhenUnavailable), "must be FailClosed or FailOpen", (int)options.WhenUnavailable));
        }

        return failures;
    }

    private static void CheckConfiguration(string sectionPath, string configuration, List<string> failures)
    {
        ConfigurationOptions parsed;
        try
        {
            parsed = ConfigurationOptions.Parse(configuration);
        }
        // StackExchange.Redis names the keyword it does not know; the string itself is not quoted (it may hold a password).
        catch (ArgumentException ex)
        {
            failures.Add($"{sectionPath}:Configuration is not a StackExchange.Redis configuration string ({ex.Message}).");
            return;
        }

        if (parsed.EndPoints.Count == 0)
        {
            failures.Add($"{sectionPath}:Configuration names no Redis endpoint (host:port).");
        }
    }

    private static void InRange(List<string> failures, string sectionPath, string option, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            failures.Add(Message(sectionPath, option, $"must be between {min} and {max}", value));
        }
    }

    private static string Message(string sectionPath, string option, string rule, object value) =>
        string.Create(CultureInfo.InvariantCulture, $"{sectionPath}:{option} {rule} (was {value}).");
}
