namespace RabbitHa.Client.Internal.Publishing;

/// <summary>
/// Lets publishes wait while the broker blocks the connection (memory or disk alarm) instead of writing into a
/// socket the broker has stopped reading.
/// </summary>
internal sealed class UnblockedSignal : IDisposable
{
    private readonly IRabbitHaConnection _connection;
    private readonly object _gate = new();
    private TaskCompletionSource _unblocked = Completed();

    public UnblockedSignal(IRabbitHaConnection connection)
    {
        _connection = connection;
        _connection.Blocked += OnBlocked;
        _connection.Unblocked += OnUnblocked;
        if (_connection.IsBlocked)
        {
            Block();
        }
    }

    /// <summary>Completes at once while the connection is not blocked; otherwise when the block ends.</summary>
    public Task WaitAsync(CancellationToken cancellationToken)
    {
        Task unblocked;
        lock (_gate)
        {
            unblocked = _unblocked.Task;
        }

        return unblocked.IsCompleted ? Task.CompletedTask : unblocked.WaitAsync(cancellationToken);
    }

    public void Dispose()
    {
        _connection.Blocked -= OnBlocked;
        _connection.Unblocked -= OnUnblocked;
        OnUnblocked(this, EventArgs.Empty);
    }

    private static TaskCompletionSource Completed()
    {
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.SetResult();
        return source;
    }

    private void OnBlocked(object? sender, RabbitHaConnectionBlockedEventArgs e) => Block();

    private void Block()
    {
        lock (_gate)
        {
            if (_unblocked.Task.IsCompleted)
            {
                _unblocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    private void OnUnblocked(object? sender, EventArgs e)
    {
        lock (_gate)
        {
            _unblocked.TrySetResult();
        }
    }
}
