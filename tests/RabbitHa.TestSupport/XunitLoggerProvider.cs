using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace RabbitHa.TestSupport;

/// <summary>
/// Sends logs to the test's output, so that a failing test shows what the client did: a line an entry, with the time,
/// the level, <see cref="Source"/> if set, and the last segment of the category.
/// </summary>
public sealed class XunitLoggerProvider(ITestOutputHelper output) : ILoggerProvider
{
    private int _lines;

    /// <summary>Gets the lowest level written: <see cref="LogLevel.Information"/> unless set.</summary>
    public LogLevel MinimumLevel { get; init; } = LogLevel.Information;

    /// <summary>Gets a name put on every line, such as the connection's, where several clients write to one test's output.</summary>
    public string? Source { get; init; }

    /// <summary>Gets whether an exception is written whole, with its stack trace, or as its type and message only.</summary>
    public bool FullExceptions { get; init; } = true;

    /// <summary>Gets how many lines are written at most; one more line then says that the rest was left out.</summary>
    public int MaxLines { get; init; } = int.MaxValue;

    public ILogger CreateLogger(string categoryName)
    {
        ArgumentNullException.ThrowIfNull(categoryName);
        return new XunitLogger(this, categoryName[(categoryName.LastIndexOf('.') + 1)..]);
    }

    public void Dispose()
    {
    }

    private void Write(string line)
    {
        int n = Interlocked.Increment(ref _lines);
        if (n > MaxLines + 1L)
        {
            return;
        }

        try
        {
            output.WriteLine(n > MaxLines ? $"(more log lines left out after {MaxLines})" : line);
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

        public bool IsEnabled(LogLevel logLevel) => logLevel >= provider.MinimumLevel && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            string source = provider.Source is null ? string.Empty : provider.Source + " ";
            string line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {source}{category}: {formatter(state, exception)}";
            provider.Write(exception switch
            {
                null => line,
                _ when provider.FullExceptions => line + Environment.NewLine + exception,
                _ => $"{line} ({exception.GetType().Name}: {exception.Message})",
            });
        }
    }
}
