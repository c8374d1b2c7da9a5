using Microsoft.Extensions.Logging;

namespace RabbitHa.Benchmarks;

/// <summary>
/// One logging set-up for every library under test: warnings and errors only, one line each, through
/// <see cref="BoundedConsoleLogger"/>. A failover is worth a few warnings; information-level lines from three libraries,
/// or an error with a stack trace per failed send, would bury the tables.
/// </summary>
internal static class BenchmarkLogging
{
    public static ILoggingBuilder Configure(ILoggingBuilder logging) =>
        logging
            .ClearProviders()
            .SetMinimumLevel(LogLevel.Warning)
            .AddProvider(BoundedConsoleLogger.Shared);
}
