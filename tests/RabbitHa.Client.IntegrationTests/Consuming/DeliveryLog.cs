using System.Collections.Concurrent;
using System.Diagnostics;

namespace RabbitHa.Client.IntegrationTests.Consuming;

/// <summary>What the consumers of a test actually did: every attempt and every successful handling, by consumer and message id.</summary>
internal sealed class DeliveryLog
{
    private readonly ConcurrentQueue<Entry> _handled = new();
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);

    public IReadOnlyCollection<Entry> Handled => _handled.ToArray();

    public int HandledCount => _handled.Count;

    public void Attempted(string messageId) => _attempts.AddOrUpdate(messageId, 1, static (_, n) => n + 1);

    public int AttemptsOf(string messageId) => _attempts.TryGetValue(messageId, out int n) ? n : 0;

    public void Recorded(string consumer, string messageId) => _handled.Enqueue(new Entry(consumer, messageId, Stopwatch.GetTimestamp()));

    /// <summary>How often each message id was handled.</summary>
    public Dictionary<string, int> CountsById() =>
        _handled.GroupBy(static e => e.MessageId, StringComparer.Ordinal).ToDictionary(static g => g.Key, static g => g.Count(), StringComparer.Ordinal);

    public HashSet<string> HandledIds() => _handled.Select(static e => e.MessageId).ToHashSet(StringComparer.Ordinal);

    /// <summary>The first time <paramref name="consumer"/> handled a message after <paramref name="timestamp"/>, or <see langword="null"/>.</summary>
    public long? FirstHandledAfter(string consumer, long timestamp) =>
        _handled.Where(e => e.Consumer == consumer && e.Timestamp > timestamp).Select(static e => (long?)e.Timestamp).Min();

    public int HandledBy(string consumer) => _handled.Count(e => e.Consumer == consumer);

    public sealed record Entry(string Consumer, string MessageId, long Timestamp);
}
