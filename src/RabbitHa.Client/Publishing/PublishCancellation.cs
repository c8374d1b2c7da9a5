namespace RabbitHa.Client.Internal.Publishing;

/// <summary>
/// One publish's cancellation, in one pooled source: the caller's token, the publisher's own (stopped for good,
/// disposed) and a time limit for the current phase — what is left of the publish timeout, or one send's confirm
/// timeout when that comes sooner. Used by one publish at a time, never concurrently.
/// </summary>
internal sealed class PublishCancellation : IDisposable
{
    private readonly CancellationSourcePool _pool;
    private readonly CancellationToken _caller;
    private readonly CancellationToken _publisher;
    private CancellationTokenSource _source;
    private CancellationTokenRegistration _callerRegistration;
    private CancellationTokenRegistration _publisherRegistration;
    private bool _disposed;

    public PublishCancellation(CancellationSourcePool pool, CancellationToken caller, CancellationToken publisher)
    {
        _pool = pool;
        _caller = caller;
        _publisher = publisher;
        _source = Rent();
    }

    public CancellationToken Token => _source.Token;

    /// <summary>Gets a value indicating whether the current limit is the publish's deadline rather than one send's confirm timeout.</summary>
    public bool LimitIsDeadline { get; private set; }

    /// <summary>Gets a value indicating whether <see cref="Token"/> fired for its time limit, not for the caller or the publisher.</summary>
    public bool LimitReached => _source.IsCancellationRequested && !_caller.IsCancellationRequested && !_publisher.IsCancellationRequested;

    /// <summary>Cancels <see cref="Token"/> after <paramref name="delay"/>, instead of any earlier limit; a source that fired is replaced first.</summary>
    public void Limit(TimeSpan delay, bool isDeadline)
    {
        if (_source.IsCancellationRequested)
        {
            Release();
            _source = Rent();
        }

        LimitIsDeadline = isDeadline;
        _source.CancelAfter(delay > TimeSpan.Zero ? delay : TimeSpan.FromTicks(1));
    }

    /// <summary>
    /// Cancels <see cref="Token"/> when <paramref name="token"/> fires too, until the registration is disposed; dispose
    /// it before the next <see cref="Limit"/>, which may replace the source.
    /// </summary>
    public CancellationTokenRegistration Also(CancellationToken token) =>
        token.UnsafeRegister(static source => ((CancellationTokenSource)source!).Cancel(), _source);

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            Release();
        }
    }

    private CancellationTokenSource Rent()
    {
        var source = _pool.Rent();
        _callerRegistration = _caller.CanBeCanceled ? _caller.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), source) : default;
        _publisherRegistration = _publisher.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), source);
        return source;
    }

    private void Release()
    {
        // Disposing a registration waits for its callback if it is running: no pooled source is cancelled once reused.
        _callerRegistration.Dispose();
        _publisherRegistration.Dispose();
        _pool.Return(_source);
    }
}
