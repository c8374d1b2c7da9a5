using System.Text;
using Microsoft.Extensions.Options;

namespace RabbitHa.Client.Internal.Consuming;

/// <summary>
/// Validates <see cref="RabbitHaConsumerOptions"/> when the host starts (and when a consumer is created
/// without it). Each failure names the consumer, the option and the bad value.
/// </summary>
internal sealed class RabbitHaConsumerOptionsValidator : IValidateOptions<RabbitHaConsumerOptions>
{
    /// <summary>AMQP queue names are short strings: at most 255 bytes of UTF-8.</summary>
    private const int MaxQueueNameBytes = 255;

    private static readonly TimeSpan s_maxResubscribeDelay = TimeSpan.FromHours(1);
    private static readonly TimeSpan s_maxStopTimeout = TimeSpan.FromDays(1);
    private static readonly TimeSpan s_maxRequeueDelay = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan s_maxHandlerTimeout = TimeSpan.FromDays(1);
    private static readonly TimeSpan s_maxUnhealthyAfter = TimeSpan.FromDays(1);
    private static readonly TimeSpan s_maxDeduplicationStoreTimeout = TimeSpan.FromMinutes(5);

    public ValidateOptionsResult Validate(string? name, RabbitHaConsumerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> failures = Check(name, options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Validates options given to a consumer directly, outside dependency injection.</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every failure.</exception>
    public static void ThrowIfInvalid(RabbitHaConsumerOptions options, string paramName)
    {
        List<string> failures = Check(null, options);
        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", failures), paramName);
        }
    }

    private static List<string> Check(string? name, RabbitHaConsumerOptions options)
    {
        var failures = new List<string>();
        string label = string.IsNullOrEmpty(name) || name == Options.DefaultName ? options.EffectiveName : name;
        string prefix = $"Consumer '{label}':";

        if (string.IsNullOrWhiteSpace(options.Queue))
        {
            failures.Add($"{prefix} Queue is required (was '{options.Queue}').");
        }
        else if (Encoding.UTF8.GetByteCount(options.Queue) > MaxQueueNameBytes)
        {
            failures.Add($"{prefix} Queue must be at most {MaxQueueNameBytes} bytes of UTF-8 (was {Encoding.UTF8.GetByteCount(options.Queue)} bytes).");
        }

        if (options.PrefetchCount is < 1 or > ushort.MaxValue)
        {
            failures.Add($"{prefix} PrefetchCount must be between 1 and {ushort.MaxValue} (was {options.PrefetchCount}).");
        }

        if (options.Concurrency < 1)
        {
            failures.Add($"{prefix} Concurrency must be at least 1 (was {options.Concurrency}).");
        }
        else if (options.Concurrency > options.PrefetchCount && options.PrefetchCount >= 1)
        {
            // More handlers than prefetched messages would sit idle: the broker never sends enough to use them.
            failures.Add($"{prefix} Concurrency must not exceed PrefetchCount ({options.PrefetchCount}) (was {options.Concurrency}).");
        }

        if (options.MaxDeliveryAttempts < 1)
        {
            failures.Add($"{prefix} MaxDeliveryAttempts must be at least 1 (was {options.MaxDeliveryAttempts}).");
        }

        if (!Enum.IsDefined(options.FailureAction))
        {
            failures.Add($"{prefix} FailureAction must be Requeue or DeadLetter (was {(int)options.FailureAction}).");
        }

        if (!Enum.IsDefined(options.DeadLetterStrategy))
        {
            failures.Add($"{prefix} DeadLetterStrategy must be Queue, Broker or Discard (was {(int)options.DeadLetterStrategy}).");
        }

        CheckDeadLetterQueue(prefix, options, failures);

        if (options.RequeueDelay < TimeSpan.Zero || options.RequeueDelay > s_maxRequeueDelay)
        {
            failures.Add($"{prefix} RequeueDelay must be between {TimeSpan.Zero} and {s_maxRequeueDelay} (was {options.RequeueDelay}).");
        }

        if (options.ResubscribeDelay <= TimeSpan.Zero)
        {
            failures.Add($"{prefix} ResubscribeDelay must be positive (was {options.ResubscribeDelay}).");
        }

        if (options.MaxResubscribeDelay < options.ResubscribeDelay || options.MaxResubscribeDelay > s_maxResubscribeDelay)
        {
            failures.Add($"{prefix} MaxResubscribeDelay must be between ResubscribeDelay ({options.ResubscribeDelay}) and {s_maxResubscribeDelay} (was {options.MaxResubscribeDelay}).");
        }

        if (options.StopTimeout < TimeSpan.Zero || options.StopTimeout > s_maxStopTimeout)
        {
            failures.Add($"{prefix} StopTimeout must be between {TimeSpan.Zero} and {s_maxStopTimeout} (was {options.StopTimeout}).");
        }

        if (!IsPositiveOrInfinite(options.HandlerTimeout, s_maxHandlerTimeout))
        {
            failures.Add($"{prefix} HandlerTimeout must be positive and at most {s_maxHandlerTimeout}, or Timeout.InfiniteTimeSpan ({Timeout.InfiniteTimeSpan}) for none (was {options.HandlerTimeout}).");
        }

        if (!IsPositiveOrInfinite(options.UnhealthyAfter, s_maxUnhealthyAfter))
        {
            failures.Add($"{prefix} UnhealthyAfter must be positive and at most {s_maxUnhealthyAfter}, or Timeout.InfiniteTimeSpan ({Timeout.InfiniteTimeSpan}) to leave the consumer out of the health check (was {options.UnhealthyAfter}).");
        }

        if (options.DeduplicationStoreTimeout <= TimeSpan.Zero || options.DeduplicationStoreTimeout > s_maxDeduplicationStoreTimeout)
        {
            // No infinite value: a store that never answers would hold a handler slot for ever.
            failures.Add($"{prefix} DeduplicationStoreTimeout must be positive and at most {s_maxDeduplicationStoreTimeout} (was {options.DeduplicationStoreTimeout}).");
        }

        return failures;
    }

    private static bool IsPositiveOrInfinite(TimeSpan value, TimeSpan max) =>
        value == Timeout.InfiniteTimeSpan || (value > TimeSpan.Zero && value <= max);

    private static void CheckDeadLetterQueue(string prefix, RabbitHaConsumerOptions options, List<string> failures)
    {
        if (options.DeadLetterQueue is { } deadLetterQueue)
        {
            if (string.IsNullOrWhiteSpace(deadLetterQueue))
            {
                failures.Add($"{prefix} DeadLetterQueue must not be empty; leave it unset for '<queue>{RabbitHaConsumerOptions.DefaultDeadLetterQueueSuffix}' (was '{deadLetterQueue}').");
                return;
            }

            if (string.Equals(deadLetterQueue, options.Queue, StringComparison.Ordinal))
            {
                // Dead-lettering into the queue being consumed would hand the message straight back: a loop, not a dead end.
                failures.Add($"{prefix} DeadLetterQueue must differ from Queue (was '{deadLetterQueue}').");
            }

            if (deadLetterQueue.StartsWith("amq.", StringComparison.Ordinal))
            {
                failures.Add($"{prefix} DeadLetterQueue must not start with 'amq.', which the broker reserves (was '{deadLetterQueue}').");
            }

            if (Encoding.UTF8.GetByteCount(deadLetterQueue) > MaxQueueNameBytes)
            {
                failures.Add($"{prefix} DeadLetterQueue must be at most {MaxQueueNameBytes} bytes of UTF-8 (was {Encoding.UTF8.GetByteCount(deadLetterQueue)} bytes).");
            }
        }
        else if (options.DeadLetterStrategy == RabbitHaDeadLetterStrategy.Queue
            && !string.IsNullOrWhiteSpace(options.Queue)
            && Encoding.UTF8.GetByteCount(options.Queue) <= MaxQueueNameBytes
            && Encoding.UTF8.GetByteCount(options.EffectiveDeadLetterQueue) > MaxQueueNameBytes)
        {
            failures.Add($"{prefix} DeadLetterQueue must be set: the default '<queue>{RabbitHaConsumerOptions.DefaultDeadLetterQueueSuffix}' would be longer than {MaxQueueNameBytes} bytes of UTF-8 (was {Encoding.UTF8.GetByteCount(options.EffectiveDeadLetterQueue)} bytes).");
        }
    }
}
