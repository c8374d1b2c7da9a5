namespace RabbitHa.Redis;

/// <summary>
/// The three operations as Lua scripts, each atomic on its one key (so they also work on a Redis cluster). StackExchange.Redis
/// sends a script once and then its hash (<c>EVALSHA</c>), and sends it again after a restart of Redis emptied its cache.
/// </summary>
internal static class RedisDeduplicationScripts
{
    /// <summary>
    /// Claims: <c>SET NX PX</c>; returns the caller's value when it now holds the key, else the key's value
    /// (<c>handled</c>, another <c>claimed:...</c>). KEYS[1] the key; ARGV[1] the claim value, ARGV[2] the claim expiry in ms.
    /// </summary>
    public const string Claim = """
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
          return ARGV[1]
        end
        return redis.call('GET', KEYS[1])
        """;

    /// <summary>
    /// Marks handled, for the owner of the claim only: while the key holds the caller's claim, or holds nothing (the claim
    /// expired, or was never written while Redis was away, and nobody claimed or handled the message since): the caller's
    /// handler did handle it. Returns 1 when recorded. KEYS[1] the key; ARGV[1] the claim value, ARGV[2] the handled expiry in ms.
    /// </summary>
    public const string MarkHandled = """
        local value = redis.call('GET', KEYS[1])
        if value == ARGV[1] or not value then
          redis.call('SET', KEYS[1], 'handled', 'PX', ARGV[2])
          return 1
        end
        return 0
        """;

    /// <summary>Releases: deletes the key only while it holds the caller's claim. Returns 1 when deleted. KEYS[1] the key; ARGV[1] the claim value.</summary>
    public const string Release = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('DEL', KEYS[1])
        end
        return 0
        """;
}
