using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using RabbitHa.Client.Internal.Diagnostics;

namespace RabbitHa.Client.Tests.TestSupport;

/// <summary>Keeps every log line, exception included, to assert on what was written down.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public string AllText => string.Join(Environment.NewLine, Lines);

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            provider.Lines.Enqueue($"{logLevel} {category} [{eventId.Name}] {formatter(state, exception)} {exception}");
        }
    }
}
