using Microsoft.Extensions.Logging;

namespace RabbitHa.Redis;

/// <summary>
/// The Redis store's log messages, source-generated (event ids 900-999). Redis is named by its endpoints
/// (<c>host:port</c>), never by its configuration string, which may carry a password.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 900, EventName = "RedisStoreCreated", Level = LogLevel.Information,
        Message = "Deduplication store on Redis at {Endpoints} (keys '{KeyPrefix}...', claims expire after {ClaimExpiry}, handled ids after {HandledExpiry}, when unavailable: {WhenUnavailable}).")]
    public static partial void StoreCreated(this ILogger logger, string endpoints, string keyPrefix, TimeSpan claimExpiry, TimeSpan handledExpiry, RedisUnavailableBehavior whenUnavailable);

    [LoggerMessage(EventId = 901, EventName = "RedisUnavailable", Level = LogLevel.Warning,
        Message = "Deduplication store: Redis at {Endpoints} unavailable for {Operation} of message '{MessageId}' in scope '{Scope}' (keys '{KeyPrefix}{Scope}:...'): {Cause}. WhenUnavailable is {WhenUnavailable}: {Consequence}.")]
    public static partial void Unavailable(this ILogger logger, string endpoints, string operation, string messageId, string scope, string keyPrefix, string cause, RedisUnavailableBehavior whenUnavailable, string consequence);

    [LoggerMessage(EventId = 902, EventName = "RedisLateClaimReleaseFailed", Level = LogLevel.Debug,
        Message = "Deduplication store: a claim on '{Key}' that may have been written after its caller gave up could not be released ({Cause}); it expires by itself.")]
    public static partial void LateClaimReleaseFailed(this ILogger logger, string key, string cause);
}
