using System.Collections.Concurrent;
using System.Diagnostics;
using RabbitHa.Client;

namespace RabbitHa.Redis.Tests.Chaos;

/// <summary>Every handling of every message, across the consumer hosts of a test: the books the test checks.</summary>
internal sealed class Handlings
{
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Host, string MessageId, long At)> _log = new();
    private int _resent;
    private int _redelivered;
    private long _last = Stopwatch.GetTimestamp();

    public int Total => _log.Count;

    public int Distinct => _counts.Count;

    public int Resent => Volatile.Read(ref _resent);

    public int Redelivered => Volatile.Read(ref _redelivered);

    public IReadOnlyDictionary<string, int> Counts => _counts;

    public TimeSpan SinceLast => Stopwatch.GetElapsedTime(Volatile.Read(ref _last));

    public void Record(string host, RabbitHaMessageContext context)
    {
        string id = context.MessageId ?? throw new InvalidOperationException("Test messages carry a message id.");
        _counts.AddOrUpdate(id, 1, static (_, n) => n + 1);
        long now = Stopwatch.GetTimestamp();
        _log.Enqueue((host, id, now));
        Volatile.Write(ref _last, now);
        if (context.IsResent)
        {
            Interlocked.Increment(ref _resent);
        }

        if (context.Redelivered)
        {
            Interlocked.Increment(ref _redelivered);
        }
    }

    public bool HasHandled(string messageId) => _counts.ContainsKey(messageId);

    public int HandledBy(string host) => _log.Count(h => h.Host == host);

    /// <summary>Handlings between two <see cref="Stopwatch.GetTimestamp"/> readings.</summary>
    public int HandledBetween(long from, long to) => _log.Count(h => h.At >= from && h.At <= to);
}

internal sealed record ConsumerHostName(string Name);

/// <summary>Counts each message it handles, with the host it ran in.</summary>
internal sealed class CountingHandler(Handlings handlings, ConsumerHostName host) : IRabbitHaHandler<ReadOnlyMemory<byte>>
{
    public Task HandleAsync(ReadOnlyMemory<byte> message, RabbitHaMessageContext context, CancellationToken cancellationToken)
    {
        handlings.Record(host.Name, context);
        return Task.CompletedTask;
    }
}
