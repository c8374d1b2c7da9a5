using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace RabbitHa.Benchmarks;

/// <summary>
/// Console logging with a ceiling: one line per entry (the exception's type and message, no stack trace), at most
/// <see cref="LinesPerSecond"/> lines a second for the whole process, the rest counted and reported as dropped. During a
/// failover MassTransit logs an error for every failed send: thousands of stack traces would bury the tables, and a
/// console logger that waits for the terminal would slow the very callers being measured.
/// </summary>
internal sealed class BoundedConsoleLogger : ILoggerProvider
{
    private const int LinesPerSecond = 20;

    private readonly Lock _gate = new();
    private long _windowStartedAt = Stopwatch.GetTimestamp();
    private int _linesInWindow;
    private int _dropped;

    /// <summary>Gets the one provider every application of the benchmark logs through, so that the ceiling is for all of them together.</summary>
    public static BoundedConsoleLogger Shared { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
        // Shared by every container; nothing to release.
    }

    /// <summary>Takes one line of the second's allowance; when a new second starts, says how many were dropped in the last.</summary>
    private bool TryTakeLine()
    {
        int dropped;
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            if (Stopwatch.GetElapsedTime(_windowStartedAt, now) >= TimeSpan.FromSeconds(1))
            {
                dropped = _dropped;
                _dropped = 0;
                _linesInWindow = 0;
                _windowStartedAt = now;
            }
            else
            {
                dropped = 0;
            }

            if (++_linesInWindow > LinesPerSecond)
            {
                _dropped++;
                return false;
            }
        }

        if (dropped > 0)
        {
            Console.WriteLine($"{DateTime.Now:HH:mm:ss.fff} ({dropped} log lines dropped: more than {LinesPerSecond} a second)");
        }

        return true;
    }

    private sealed class Logger(BoundedConsoleLogger owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel) || !owner.TryTakeLine())
            {
                return;
            }

            var level = logLevel switch
            {
                LogLevel.Warning => "warn",
                LogLevel.Error => "fail",
                _ => "crit",
            };
            var cause = exception is null ? string.Empty : $" ({exception.GetType().Name}: {exception.Message})";
            Console.WriteLine($"{DateTime.Now:HH:mm:ss.fff} {level}: {category}: {formatter(state, exception)}{cause}");
        }
    }
}
