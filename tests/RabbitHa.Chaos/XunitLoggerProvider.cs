using Microsoft.Extensions.Logging;
using RabbitHa.Client.Internal.Diagnostics;
using Xunit.Abstractions;

namespace RabbitHa.Chaos;

/// <summary>
/// Sends the library's warnings and errors to the test's output, prefixed with the connection's name. Information
/// is left out: four connections recovering several times a scenario would drown the workload's own timeline.
/// </summary>
internal sealed class XunitLoggerProvider(ITestOutputHelper output, string client) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new XunitLogger(output, client, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void Dispose()
    {
    }

    private sealed class XunitLogger(ITestOutputHelper output, string client, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            string line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {client} {category}: {formatter(state, exception)}";
            try
            {
                output.WriteLine(exception is null ? line : $"{line} ({exception.GetType().Name}: {exception.Message})");
            }
            catch (InvalidOperationException)
            {
                // The test has finished; xUnit no longer accepts output for it (a late recovery log line).
            }
        }
    }
}
