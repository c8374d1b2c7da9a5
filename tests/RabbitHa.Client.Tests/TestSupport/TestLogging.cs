using Microsoft.Extensions.Logging;

namespace RabbitHa.Client.Tests.TestSupport;

/// <summary>Loggers for the code under test, enabled at every level.</summary>
internal static class TestLogging
{
    /// <summary>A logger of category <typeparamref name="T"/> at every level, writing into <paramref name="logs"/> when given.</summary>
    public static ILogger<T> CreateLogger<T>(ILoggerProvider? logs)
    {
        ILoggerFactory loggerFactory = LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(LogLevel.Trace);
            if (logs is not null)
            {
                builder.AddProvider(logs);
            }
        });
        return loggerFactory.CreateLogger<T>();
    }
}
