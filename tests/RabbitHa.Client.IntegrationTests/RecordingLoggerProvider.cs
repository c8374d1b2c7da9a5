using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using RabbitHa.Client.Internal.Diagnostics;
using Xunit.Abstractions;

namespace RabbitHa.Client.IntegrationTests;

/// <summary>
/// Writes the library's logs to the test's output (as <see cref="XunitLoggerProvider"/> does) and records the
/// event name of every entry, so that a test can count what the client did, such as start-up retries.
/// </summary>
internal sealed class RecordingLoggerProvider(ITestOutputHelper output) : ILoggerProvider
{
    private readonly XunitLoggerProvider _output = new(output);
    private readonly ConcurrentQueue<Entry> _events = new();

    /// <summary>Gets how many entries with the given event name were logged, at any level.</summary>
    public int Count(string eventName) => _events.Count(e => e.EventName == eventName);

    /// <summary>Gets the entries with the given event name, in the order they were logged.</summary>
    public IReadOnlyList<Entry> Entries(string eventName) => _events.Where(e => e.EventName == eventName).ToList();

    public ILogger CreateLogger(string categoryName) => new RecordingLogger(_output.CreateLogger(categoryName), _events);

    public void Dispose() => _output.Dispose();

    /// <summary>One log entry: its event name, formatted message and exception, if any, and its level.</summary>
    public sealed record Entry(string EventName, string Message, Exception? Exception)
    {
        public LogLevel Level { get; init; }
    }

    private sealed class RecordingLogger(ILogger inner, ConcurrentQueue<Entry> events) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        // Every level, so that Debug events can be counted too; only the inner logger filters what is printed.
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Name is { } name)
            {
                events.Enqueue(new Entry(name, formatter(state, exception), exception) { Level = logLevel });
            }

            if (inner.IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
