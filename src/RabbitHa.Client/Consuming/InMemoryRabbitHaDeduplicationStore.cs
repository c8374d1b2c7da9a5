namespace RabbitHa.Client;

/// <summary>
/// The default <see cref="IRabbitHaDeduplicationStore"/>: the ids of the most recently handled messages,
/// in memory, forgetting the oldest once <see cref="Capacity"/> is reached.
/// </summary>
/// <remarks>
/// It deduplicates within one process only, and forgets everything when the process restarts. The window
/// should cover the time in which duplicates arrive: a publisher's re-sends come within seconds, a
/// redelivery after a failover within the broker's recovery time.
/// </remarks>
public sealed class InMemoryRabbitHaDeduplicationStore : IRabbitHaDeduplicationStore
{
    /// <summary>The number of message ids remembered by default: <c>100000</c>.</summary>
    public const int DefaultCapacity = 100_000;

    private readonly object _gate = new();
    private readonly HashSet<(string Scope, string MessageId)> _handled = [];
    private readonly Queue<(string Scope, string MessageId)> _order = new();
    private readonly HashSet<(string Scope, string MessageId)> _inProgress = [];

    /// <summary>Initializes a new instance of the <see cref="InMemoryRabbitHaDeduplicationStore"/> class.</summary>
    /// <param name="capacity">How many handled message ids to remember; the oldest is forgotten first.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is less than 1.</exception>
    public InMemoryRabbitHaDeduplicationStore(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>Gets how many handled message ids are remembered at most.</summary>
    /// <value>The value given to the constructor; <see cref="DefaultCapacity"/> by default.</value>
    public int Capacity { get; }

    /// <summary>Gets how many handled message ids are remembered now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _handled.Count;
            }
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentNullException"><paramref name="scope"/> or <paramref name="messageId"/> is <see langword="null"/>.</exception>
    public ValueTask<RabbitHaDeduplicationResult> TryClaimAsync(string scope, string messageId, CancellationToken cancellationToken)
    {
        var key = Key(scope, messageId);
        lock (_gate)
        {
            if (_handled.Contains(key))
            {
                return ValueTask.FromResult(RabbitHaDeduplicationResult.AlreadyHandled);
            }

            return ValueTask.FromResult(_inProgress.Add(key) ? RabbitHaDeduplicationResult.Claimed : RabbitHaDeduplicationResult.InProgress);
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentNullException"><paramref name="scope"/> or <paramref name="messageId"/> is <see langword="null"/>.</exception>
    public ValueTask MarkHandledAsync(string scope, string messageId, CancellationToken cancellationToken)
    {
        var key = Key(scope, messageId);
        lock (_gate)
        {
            _inProgress.Remove(key);
            if (_handled.Add(key))
            {
                _order.Enqueue(key);
                while (_order.Count > Capacity)
                {
                    _handled.Remove(_order.Dequeue());
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentNullException"><paramref name="scope"/> or <paramref name="messageId"/> is <see langword="null"/>.</exception>
    public ValueTask ReleaseAsync(string scope, string messageId, CancellationToken cancellationToken)
    {
        var key = Key(scope, messageId);
        lock (_gate)
        {
            _inProgress.Remove(key);
        }

        return ValueTask.CompletedTask;
    }

    private static (string, string) Key(string scope, string messageId)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(messageId);
        return (scope, messageId);
    }
}
