using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace RabbitHa.Redis.Tests.Support;

/// <summary>
/// Sends the library's logs (Information and up) to the test's output, so that a failing test shows what the client and the
/// store did; at most <paramref name="maxLines"/> lines, since a Redis outage logs a warning per message.
/// </summary>
internal sealed class XunitLoggerProvider(ITestOutputHelper output, int maxLines = 400) : ILoggerProvider
{
    private int _lines;

    public ILogger CreateLogger(string categoryName) => new XunitLogger(this, categoryName);

    public void Dispose()
    {
    }

    private void Write(string line)
    {
        int n = Interlocked.Increment(ref _lines);
        if (n > maxLines + 1)
        {
            return;
        }

        try
        {
            output.WriteLine(n > maxLines ? $"(more log lines left out after {maxLines})" : line);
        }
        catch (InvalidOperationException)
        {
            // The test has finished; xUnit no longer accepts output for it (a late recovery log line).
        }
    }

    private sealed class XunitLogger(XunitLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            string line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category[(category.LastIndexOf('.') + 1)..]}: {formatter(state, exception)}";
            provider.Write(exception is null ? line : $"{line} ({exception.GetType().Name}: {exception.Message})");
        }
    }
}
