using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace RabbitHa.Redis.Tests.Support;

/// <summary>Keeps every line logged through it (and, when given, writes it to the test's output).</summary>
internal sealed class RecordingLogger<T>(Xunit.Abstractions.ITestOutputHelper? output = null) : ILogger<T>
{
    public ConcurrentQueue<(LogLevel Level, EventId Id, string Message)> Entries { get; } = new();

    public IReadOnlyList<string> Warnings => Entries.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message).ToArray();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        string message = formatter(state, exception);
        Entries.Enqueue((logLevel, eventId, message));
        try
        {
            output?.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel}: {message}");
        }
        catch (InvalidOperationException)
        {
            // The test has ended.
        }
    }
}
