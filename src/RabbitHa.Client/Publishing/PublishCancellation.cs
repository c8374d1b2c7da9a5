namespace RabbitHa.Client.Internal.Publishing;

/// <summary>
/// One publish's cancellation, in one source: the caller's token, the publisher's own (stopped for good, disposed) and a
/// time limit for the current phase — what is left of the publish timeout, or one send's confirm timeout when that comes
/// sooner. Used by one publish at a time, never concurrently, from <see cref="Begin"/> to <see cref="End"/>; then by the
/// next publish of its <see cref="PublishAttempt"/> (<see cref="PublishAttemptPool"/>). The source and its timer are reset
/// at the end, not reallocated, so that a publish confirmed at its first send allocates neither.
/// </summary>
internal sealed class PublishCancellation : IDisposable
{
    private readonly CancellationToken _publisher;
    private CancellationTokenSource _source = new();
    private CancellationToken _caller;
    private CancellationTokenRegistration _callerRegistration;
    private CancellationTokenRegistration _publisherRegistration;
    private bool _begun;

    /// <param name="publisher">The publisher's token, for every publish this serves.</param>
    public PublishCancellation(CancellationToken publisher)
    {
        _publisher = publisher;
    }

    public CancellationToken Token => _source.Token;

    /// <summary>Gets a value indicating whether the current limit is the publish's deadline rather than one send's confirm timeout.</summary>
    public bool LimitIsDeadline { get; private set; }

    /// <summary>Gets a value indicating whether <see cref="Token"/> fired for its time limit, not for the caller or the publisher.</summary>
    public bool LimitReached => _source.IsCancellationRequested && !_caller.IsCancellationRequested && !_publisher.IsCancellationRequested;

    /// <summary>Serves a publish: <see cref="Token"/> is cancelled from now on by <paramref name="caller"/>, by the publisher's token, and by the limits set.</summary>
    public void Begin(CancellationToken caller)
    {
        _caller = caller;
        LimitIsDeadline = false;
        Register();
        _begun = true;
    }

    /// <summary>Cancels <see cref="Token"/> after <paramref name="delay"/>, instead of any earlier limit; a source that fired is replaced first.</summary>
    public void Limit(TimeSpan delay, bool isDeadline)
    {
        if (_source.IsCancellationRequested)
        {
            Unregister();
            Replace();
            Register();
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

    /// <summary>Ends the publish it served: its registrations are removed and the source is made ready for the next one.</summary>
    public void End()
    {
        if (!_begun)
        {
            return;
        }

        _begun = false;
        Unregister();

        // Its time limit stopped, an unfired source is as good as new. One that fired cannot be reset.
        if (!_source.TryReset())
        {
            Replace();
        }
    }

    public void Dispose()
    {
        End();
        _source.Dispose();
    }

    private void Register()
    {
        var source = _source;
        _callerRegistration = _caller.CanBeCanceled ? _caller.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), source) : default;
        _publisherRegistration = _publisher.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), source);
    }

    private void Unregister()
    {
        // Disposing a registration waits for its callback if it is running: a source is never cancelled once it was reset.
        _callerRegistration.Dispose();
        _publisherRegistration.Dispose();
        _callerRegistration = default;
        _publisherRegistration = default;
    }

    private void Replace()
    {
        _source.Dispose();
        _source = new CancellationTokenSource();
    }
}
