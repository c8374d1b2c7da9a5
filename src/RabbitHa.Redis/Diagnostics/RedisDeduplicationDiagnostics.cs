using RabbitHa.Client;

namespace RabbitHa.Redis;

/// <summary>
/// The names under which <see cref="RedisRabbitHaDeduplicationStore"/> reports: its instrument, on RabbitHa's meter
/// <see cref="RabbitHaDiagnostics.MeterName"/> (<c>"RabbitHa.Client"</c>), and its tags.
/// </summary>
public static class RedisDeduplicationDiagnostics
{
    /// <summary>
    /// Counter of store calls that found Redis unavailable (it failed, or took longer than
    /// <see cref="RedisDeduplicationOptions.OperationTimeout"/>): <c>"rabbitha.deduplication.store.unavailable"</c>. Tagged with
    /// <see cref="WhenUnavailableTag"/>, <see cref="OperationTag"/> and <see cref="ScopeTag"/>.
    /// </summary>
    public const string StoreUnavailableInstrument = "rabbitha.deduplication.store.unavailable";

    /// <summary>
    /// The tag carrying <see cref="RedisDeduplicationOptions.WhenUnavailable"/>: <c>"rabbitha.deduplication.when_unavailable"</c>,
    /// <c>fail_closed</c> or <c>fail_open</c>.
    /// </summary>
    public const string WhenUnavailableTag = "rabbitha.deduplication.when_unavailable";

    /// <summary>The tag carrying the store call: <c>"rabbitha.deduplication.operation"</c>, one of <c>claim</c>, <c>mark_handled</c>, <c>release</c>.</summary>
    public const string OperationTag = "rabbitha.deduplication.operation";

    /// <summary>The tag carrying the scope of the message id, the consumer's queue: <c>"rabbitha.deduplication.scope"</c>.</summary>
    public const string ScopeTag = "rabbitha.deduplication.scope";
}
