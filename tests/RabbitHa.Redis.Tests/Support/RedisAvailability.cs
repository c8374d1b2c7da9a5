namespace RabbitHa.Redis.Tests.Support;

/// <summary>Whether a <c>redis-server</c> binary is on PATH: probed once, cached for the test run.</summary>
internal static class RedisAvailability
{
    private static readonly Lazy<string?> s_path = new(Find);

    /// <summary>Gets the full path of <c>redis-server</c>, or <see langword="null"/> when there is none.</summary>
    public static string? ServerPath => s_path.Value;

    public static string? UnavailableReason => ServerPath is null
        ? "No redis-server on PATH: the tests against a real Redis are skipped (apt-get install redis-server, or bash eng/setup-redis.sh)."
        : null;

    private static string? Find()
    {
        string? path = Environment.GetEnvironmentVariable("PATH");
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        foreach (string directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, OperatingSystem.IsWindows() ? "redis-server.exe" : "redis-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

/// <summary>A fact that needs a <c>redis-server</c> binary: skipped, with the reason, when there is none on PATH.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute()
    {
        if (RedisAvailability.UnavailableReason is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A fact that needs both a <c>redis-server</c> binary and a Docker engine (the RabbitMQ cluster): skipped, with the reason, otherwise.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class RedisAndClusterFactAttribute : FactAttribute
{
    public RedisAndClusterFactAttribute()
    {
        string? reason = RedisAvailability.UnavailableReason ?? (RabbitHa.Testing.Containers.DockerAvailability.IsAvailable ? null : RabbitHa.Testing.Containers.DockerAvailability.UnavailableReason);
        if (reason is not null)
        {
            Skip = reason;
        }
    }
}
