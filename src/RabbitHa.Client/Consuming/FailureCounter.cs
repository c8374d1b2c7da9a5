namespace RabbitHa.Client;

/// <summary>
/// Counts handler failures per message, for classic queues, which do not count deliveries. Bounded: once
/// <see cref="Capacity"/> messages are being counted, the least recently failed is forgotten (it then starts
/// again from its redelivered flag, so a poison message is still dead-lettered eventually).
/// </summary>
internal sealed class FailureCounter
{
    public const int DefaultCapacity = 10_000;

    private readonly object _gate = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, int Failures)>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, int Failures)> _recency = new();

    public FailureCounter(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    public int Get(string key)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(key, out LinkedListNode<(string Key, int Failures)>? node) ? node.Value.Failures : 0;
        }
    }

    /// <summary>Counts one more failure and returns the new count.</summary>
    public int Increment(string key)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out LinkedListNode<(string Key, int Failures)>? node))
            {
                _recency.Remove(node);
                node.Value = (key, node.Value.Failures == int.MaxValue ? int.MaxValue : node.Value.Failures + 1);
                _recency.AddFirst(node);
                return node.Value.Failures;
            }

            _entries[key] = _recency.AddFirst((key, 1));
            if (_entries.Count > Capacity)
            {
                LinkedListNode<(string Key, int Failures)> oldest = _recency.Last!;
                _recency.RemoveLast();
                _entries.Remove(oldest.Value.Key);
            }

            return 1;
        }
    }

    /// <summary>Forgets a message: it was handled, or dead-lettered.</summary>
    public void Forget(string key)
    {
        lock (_gate)
        {
            if (_entries.Remove(key, out LinkedListNode<(string Key, int Failures)>? node))
            {
                _recency.Remove(node);
            }
        }
    }
}
