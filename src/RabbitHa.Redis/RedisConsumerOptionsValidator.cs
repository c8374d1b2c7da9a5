using System.Globalization;
using Microsoft.Extensions.Options;
using RabbitHa.Client;

namespace RabbitHa.Redis;

/// <summary>
/// Checks, when the host starts, each consumer that deduplicates against the Redis store's options: a handler must end
/// before its claim expires, and Redis must be given up on before the consumer gives up on the store.
/// </summary>
internal sealed class RedisConsumerOptionsValidator(IOptionsMonitor<RedisDeduplicationOptions> redis, string sectionPath) : IValidateOptions<RabbitHaConsumerOptions>
{
    public ValidateOptionsResult Validate(string? name, RabbitHaConsumerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.DeduplicateByMessageId)
        {
            return ValidateOptionsResult.Skip;
        }

        RedisDeduplicationOptions store;
        try
        {
            store = redis.CurrentValue;
        }
        // The store's own options are invalid: their validation reports it, naming each option.
        catch (OptionsValidationException)
        {
            return ValidateOptionsResult.Skip;
        }

        string label = !string.IsNullOrEmpty(name) && name != Options.DefaultName ? name
            : !string.IsNullOrWhiteSpace(options.Name) ? options.Name : options.Queue;
        List<string> failures = Check(label, options, store, sectionPath);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    internal static List<string> Check(string consumer, RabbitHaConsumerOptions options, RedisDeduplicationOptions store, string sectionPath)
    {
        var failures = new List<string>();
        if (options.HandlerTimeout == Timeout.InfiniteTimeSpan || options.HandlerTimeout >= store.ClaimExpiry)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"Consumer '{consumer}': HandlerTimeout must be shorter than {sectionPath}:ClaimExpiry ({store.ClaimExpiry}) to deduplicate with Redis, " +
                $"or a claim may expire while its handler still runs and another process handle the message at the same time (was {(options.HandlerTimeout == Timeout.InfiniteTimeSpan ? "infinite" : options.HandlerTimeout)})."));
        }

        if (options.DeduplicationStoreTimeout <= store.OperationTimeout)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"Consumer '{consumer}': DeduplicationStoreTimeout must be longer than {sectionPath}:OperationTimeout ({store.OperationTimeout}), " +
                $"or the consumer gives up on a slow Redis before WhenUnavailable applies (was {options.DeduplicationStoreTimeout})."));
        }

        return failures;
    }
}
