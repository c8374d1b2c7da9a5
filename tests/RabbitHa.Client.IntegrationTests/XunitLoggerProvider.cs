using Microsoft.Extensions.Logging;
using RabbitHa.Client.Internal.Diagnostics;
using Xunit.Abstractions;

namespace RabbitHa.Client.IntegrationTests;

/// <summary>Sends the library's logs to the test's output, so that a failing test shows what the client did.</summary>
internal sealed class XunitLoggerProvider(ITestOutputHelper output) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new XunitLogger(output, categoryName);

    public void Dispose()
    {
    }

    private sealed class XunitLogger(ITestOutputHelper output, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category[(category.LastIndexOf('.') + 1)..]}: {formatter(state, exception)}";
            try
            {
                output.WriteLine(exception is null ? line : line + Environment.NewLine + exception);
            }
            catch (InvalidOperationException)
            {
                // The test has finished; xUnit no longer accepts output for it (a late recovery log line).
            }
        }
    }
}
