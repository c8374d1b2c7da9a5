using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitHa.Client;
using StackExchange.Redis;

namespace RabbitHa.Redis;

/// <summary>
/// An <see cref="IRabbitHaDeduplicationStore"/> on Redis, shared by every process that consumes a queue: a message id handled
/// by one process is dropped by the others, also when a failover makes the publisher send it again.
/// </summary>
/// <remarks>
/// <para>
/// One key per scope (the consumer's queue) and message id (see <see cref="RedisDeduplicationOptions.KeyPrefix"/>). A claim
/// writes <c>claimed:&lt;owner&gt;</c> only if the key is free (<c>SET NX PX</c>, atomic), expiring after
/// <see cref="RedisDeduplicationOptions.ClaimExpiry"/>; the owner is a random id of this store instance and a number of its
/// own for each claim, so a claim is ended only by the call that made it, or by expiry when its process died. Marking the
/// message handled replaces the caller's claim with <c>handled</c>, kept for <see cref="RedisDeduplicationOptions.HandledExpiry"/>;
/// releasing deletes the caller's claim. Both change nothing when the key holds another caller's claim or record (a Lua script
/// compares and changes in one step); a mark also records a message whose claim has expired or was never written, when
/// nobody claimed or handled it since: the caller's handler did handle it.
/// </para>
/// <para>
/// While Redis fails or answers slower than <see cref="RedisDeduplicationOptions.OperationTimeout"/>, each call is logged as a
/// warning (naming the scope and the Redis endpoints, never the password), counted
/// (<see cref="RedisDeduplicationDiagnostics.StoreUnavailableInstrument"/>), and then fails or succeeds as
/// <see cref="RedisDeduplicationOptions.WhenUnavailable"/> says. A claim the caller gave up on that Redis writes late is
/// released as soon as it is written.
/// </para>
/// <para>
/// Safe to call concurrently. Register it with <c>AddRedisDeduplication()</c> on the builder of <c>AddRabbitHa()</c>, which
/// makes it the consumers' store.
/// </para>
/// </remarks>
public sealed class RedisRabbitHaDeduplicationStore : IRabbitHaDeduplicationStore, IAsyncDisposable, IDisposable
{
    /// <summary>The claims this instance remembers are swept of stale ones (a caller that never marked nor released) every so many claims.</summary>
    private const int SweepEvery = 4096;

    private readonly RedisDeduplicationOptions _options;
    private readonly IConnectionMultiplexer? _shared;
    private readonly ConfigurationOptions? _configuration;
    private readonly ILogger _logger;
    private readonly RedisDeduplicationMetrics _metrics;
    private readonly string _owner = Guid.NewGuid().ToString("N")[..16];
    private readonly string _claimExpiryMs;
    private readonly string _handledExpiryMs;
    private readonly ConcurrentDictionary<string, LocalClaim> _claims = new(StringComparer.Ordinal);
    private readonly object _connectGate = new();
    private Task<ConnectionMultiplexer>? _connecting;
    private long _claimNumber;
    private long _remembered;
    private bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="RedisRabbitHaDeduplicationStore"/> class on a connection the caller owns.</summary>
    /// <param name="redis">The connection to Redis; not disposed by the store.</param>
    /// <param name="options">The options; <see cref="RedisDeduplicationOptions.Configuration"/> is not used. Copied: later changes have no effect.</param>
    /// <param name="logger">Where the store logs; <see langword="null"/> for none.</param>
    /// <param name="meterFactory">Creates the meter the store counts on; <see langword="null"/> for a meter of its own.</param>
    /// <exception cref="ArgumentNullException"><paramref name="redis"/> or <paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> are invalid; the message names each option and its value.</exception>
    public RedisRabbitHaDeduplicationStore(
        IConnectionMultiplexer redis,
        RedisDeduplicationOptions options,
        ILogger<RedisRabbitHaDeduplicationStore>? logger = null,
        IMeterFactory? meterFactory = null)
        : this(options, redis ?? throw new ArgumentNullException(nameof(redis)), logger, meterFactory)
    {
    }

    /// <summary>
    /// Initializes a new instance of the <see cref="RedisRabbitHaDeduplicationStore"/> class on a connection of its own, to
    /// <see cref="RedisDeduplicationOptions.Configuration"/>; it starts connecting at once and is closed when the store is disposed.
    /// </summary>
    /// <param name="options">The options, with <see cref="RedisDeduplicationOptions.Configuration"/>. Copied: later changes have no effect.</param>
    /// <param name="logger">Where the store logs; <see langword="null"/> for none.</param>
    /// <param name="meterFactory">Creates the meter the store counts on; <see langword="null"/> for a meter of its own.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> are invalid, or have no <see cref="RedisDeduplicationOptions.Configuration"/>; the message names each option and its value.</exception>
    public RedisRabbitHaDeduplicationStore(
        RedisDeduplicationOptions options,
        ILogger<RedisRabbitHaDeduplicationStore>? logger = null,
        IMeterFactory? meterFactory = null)
        : this(options, shared: null, logger, meterFactory)
    {
    }

    private RedisRabbitHaDeduplicationStore(RedisDeduplicationOptions options, IConnectionMultiplexer? shared, ILogger? logger, IMeterFactory? meterFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        RedisDeduplicationOptionsValidator.ThrowIfInvalid(options, hasConnection: shared is not null, nameof(options));
        _options = new RedisDeduplicationOptions
        {
            Configuration = options.Configuration,
            KeyPrefix = options.KeyPrefix,
            ClaimExpiry = options.ClaimExpiry,
            HandledExpiry = options.HandledExpiry,
            OperationTimeout = options.OperationTimeout,
            WhenUnavailable = options.WhenUnavailable,
        };
        _claimExpiryMs = Milliseconds(_options.ClaimExpiry);
        _handledExpiryMs = Milliseconds(_options.HandledExpiry);
        _logger = logger ?? NullLogger.Instance;
        _metrics = new RedisDeduplicationMetrics(meterFactory);
        _shared = shared;
        if (shared is not null)
        {
            Endpoints = RedisEndpoints.Describe(shared.GetEndPoints(configuredOnly: true));
        }
        else
        {
            _configuration = ConfigurationOptions.Parse(_options.Configuration!);
            _configuration.SetDefaultPorts();

            // Start without Redis, reconnect by itself: a store that is down is WhenUnavailable's business, not the host's.
            _configuration.AbortOnConnectFail = false;
            Endpoints = RedisEndpoints.Describe(_configuration.EndPoints);
        }

        _logger.StoreCreated(Endpoints, _options.KeyPrefix, _options.ClaimExpiry, _options.HandledExpiry, _options.WhenUnavailable);
        if (_configuration is not null)
        {
            lock (_connectGate)
            {
                _connecting = Connect();
            }
        }
    }

    /// <summary>Gets the Redis endpoints the store talks to, as <c>host:port</c>, for logs.</summary>
    internal string Endpoints { get; }

    /// <summary>Gets this instance's random owner id, the part of its claims' values that tells them from other processes' claims.</summary>
    internal string Owner => _owner;

    /// <summary>Gets the number of claims this instance holds (claimed, neither marked nor released yet).</summary>
    internal int HeldClaims => _claims.Count;

    /// <inheritdoc/>
    /// <exception cref="ArgumentNullException"><paramref name="scope"/> or <paramref name="messageId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ObjectDisposedException">The store has been disposed.</exception>
    /// <exception cref="TimeoutException">With <see cref="RedisUnavailableBehavior.FailClosed"/>: Redis did not answer within <see cref="RedisDeduplicationOptions.OperationTimeout"/>.</exception>
    /// <exception cref="RedisException">With <see cref="RedisUnavailableBehavior.FailClosed"/>: Redis failed (not connected, refused the command).</exception>
    public async ValueTask<RabbitHaDeduplicationResult> TryClaimAsync(string scope, string messageId, CancellationToken cancellationToken)
    {
        string key = KeyFor(scope, messageId);
        string value = RedisDeduplicationKeys.ClaimValue(_owner, Interlocked.Increment(ref _claimNumber));
        Task<RedisResult> claiming = EvaluateAsync(RedisDeduplicationScripts.Claim, key, value, _claimExpiryMs);
        try
        {
            RedisResult result = await claiming.WaitAsync(_options.OperationTimeout, cancellationToken).ConfigureAwait(false);
            string? current = result.IsNull ? null : (string?)result;
            if (string.Equals(current, value, StringComparison.Ordinal))
            {
                Remember(key, value);
                return RabbitHaDeduplicationResult.Claimed;
            }

            // Another owner's claim; or something not ours at all, which is never taken for "handled": the copy goes back, not away.
            return string.Equals(current, RedisDeduplicationKeys.HandledValue, StringComparison.Ordinal)
                ? RabbitHaDeduplicationResult.AlreadyHandled
                : RabbitHaDeduplicationResult.InProgress;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            ReleaseIfWrittenLate(claiming, key, value);
            throw;
        }
        // Whatever Redis or the connection throws (RedisException, a socket error, a disposed connection) makes it unavailable.
        catch (Exception ex)
        {
            Exception? timeout = Unavailable("claim", scope, messageId, claiming, ex);
            if (_options.WhenUnavailable == RedisUnavailableBehavior.FailOpen)
            {
                // Handled without a claim. Its mark writes "handled" if Redis is back by then; a claim written late is this one.
                Observe(claiming);
                Remember(key, value);
                return RabbitHaDeduplicationResult.Claimed;
            }

            ReleaseIfWrittenLate(claiming, key, value);
            if (timeout is not null)
            {
                throw timeout;
            }

            throw;
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Changes nothing unless this instance holds the claim (a message it did not claim, or already marked or released). The
    /// record is written while the key still holds this claim, or holds nothing.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="scope"/> or <paramref name="messageId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ObjectDisposedException">The store has been disposed.</exception>
    /// <exception cref="TimeoutException">With <see cref="RedisUnavailableBehavior.FailClosed"/>: Redis did not answer within <see cref="RedisDeduplicationOptions.OperationTimeout"/>.</exception>
    /// <exception cref="RedisException">With <see cref="RedisUnavailableBehavior.FailClosed"/>: Redis failed.</exception>
    public ValueTask MarkHandledAsync(string scope, string messageId, CancellationToken cancellationToken) =>
        EndClaimAsync("mark_handled", RedisDeduplicationScripts.MarkHandled, scope, messageId, _handledExpiryMs, cancellationToken);

    /// <inheritdoc/>
    /// <remarks>Changes nothing unless this instance holds the claim, and deletes the key only while it holds this claim.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="scope"/> or <paramref name="messageId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ObjectDisposedException">The store has been disposed.</exception>
    /// <exception cref="TimeoutException">With <see cref="RedisUnavailableBehavior.FailClosed"/>: Redis did not answer within <see cref="RedisDeduplicationOptions.OperationTimeout"/>.</exception>
    /// <exception cref="RedisException">With <see cref="RedisUnavailableBehavior.FailClosed"/>: Redis failed.</exception>
    public ValueTask ReleaseAsync(string scope, string messageId, CancellationToken cancellationToken) =>
        EndClaimAsync("release", RedisDeduplicationScripts.Release, scope, messageId, argument: null, cancellationToken);

    /// <summary>Closes the store's own connection (one made from <see cref="RedisDeduplicationOptions.Configuration"/>); a connection given to it stays open.</summary>
    /// <returns>A task that completes when the connection is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        Task<ConnectionMultiplexer>? connecting = BeginDispose();
        if (connecting is not null)
        {
            try
            {
                ConnectionMultiplexer redis = await connecting.ConfigureAwait(false);
                await redis.DisposeAsync().ConfigureAwait(false);
            }
            // A connection that never opened has nothing to close.
            catch (Exception ex) when (ex is RedisException or ObjectDisposedException or InvalidOperationException or ArgumentException)
            {
            }
        }
    }

    /// <summary>Closes the store's own connection (one made from <see cref="RedisDeduplicationOptions.Configuration"/>); a connection given to it stays open.</summary>
    public void Dispose()
    {
        Task<ConnectionMultiplexer>? connecting = BeginDispose();
        if (connecting is null)
        {
            return;
        }

        if (connecting.IsCompletedSuccessfully)
        {
            connecting.Result.Dispose();
        }
        else
        {
            // Still connecting: closed when it is done, without blocking the caller.
            _ = connecting.ContinueWith(static t =>
            {
                if (t.IsCompletedSuccessfully)
                {
                    t.Result.Dispose();
                }
                else
                {
                    _ = t.Exception;
                }
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>The key of a scope and message id (see <see cref="RedisDeduplicationKeys"/>).</summary>
    internal string KeyFor(string scope, string messageId)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(messageId);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        return RedisDeduplicationKeys.Key(_options.KeyPrefix, scope, messageId);
    }

    private async ValueTask EndClaimAsync(string operation, string script, string scope, string messageId, string? argument, CancellationToken cancellationToken)
    {
        string key = KeyFor(scope, messageId);
        if (!_claims.TryRemove(key, out LocalClaim claim))
        {
            // Not claimed here, or already marked or released: never end another owner's claim.
            return;
        }

        Task<RedisResult> ending = argument is null
            ? EvaluateAsync(script, key, claim.Value)
            : EvaluateAsync(script, key, claim.Value, argument);
        try
        {
            await ending.WaitAsync(_options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Observe(ending);
            throw;
        }
        // As in TryClaimAsync: whatever fails makes Redis unavailable for this call.
        catch (Exception ex)
        {
            Observe(ending);
            Exception? timeout = Unavailable(operation, scope, messageId, ending, ex);
            if (_options.WhenUnavailable == RedisUnavailableBehavior.FailOpen)
            {
                return;
            }

            if (timeout is not null)
            {
                throw timeout;
            }

            throw;
        }
    }

    private async Task<RedisResult> EvaluateAsync(string script, string key, params string[] arguments)
    {
        IDatabase database = await DatabaseAsync().ConfigureAwait(false);
        var values = new RedisValue[arguments.Length];
        for (int i = 0; i < arguments.Length; i++)
        {
            values[i] = arguments[i];
        }

        return await database.ScriptEvaluateAsync(script, [key], values).ConfigureAwait(false);
    }

    private async ValueTask<IDatabase> DatabaseAsync()
    {
        if (_shared is not null)
        {
            return _shared.GetDatabase();
        }

        Task<ConnectionMultiplexer> connecting;
        lock (_connectGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connecting is null || _connecting.IsFaulted || _connecting.IsCanceled)
            {
                // abortConnect=false makes this rare (a DNS name that does not resolve, say): try again with the next call.
                _connecting = Connect();
            }

            connecting = _connecting;
        }

        return (await connecting.ConfigureAwait(false)).GetDatabase();
    }

    private Task<ConnectionMultiplexer> Connect() => ConnectionMultiplexer.ConnectAsync(_configuration!.Clone());

    /// <summary>Logs and counts a call that found Redis unavailable.</summary>
    /// <returns>The exception to throw for a call that did not answer in time, or <see langword="null"/> to rethrow Redis's own.</returns>
    private TimeoutException? Unavailable(string operation, string scope, string messageId, Task call, Exception exception)
    {
        // WaitAsync's own timeout, not one of Redis's (RedisTimeoutException is a TimeoutException too, but its call has ended).
        bool timedOut = exception is TimeoutException && !call.IsCompleted;
        string cause = timedOut
            ? string.Create(CultureInfo.InvariantCulture, $"no answer within {_options.OperationTimeout} (OperationTimeout)")
            : $"{exception.GetType().Name}: {exception.Message}";
        _metrics.Unavailable(_options.WhenUnavailable, operation, scope);
        _logger.Unavailable(Endpoints, operation, messageId, scope, _options.KeyPrefix, cause, _options.WhenUnavailable, Consequence(operation));
        return timedOut
            ? new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                $"Redis at {Endpoints} did not answer the deduplication store's {operation} of message '{messageId}' in scope '{scope}' within {_options.OperationTimeout} (OperationTimeout)."), exception)
            : null;
    }

    private string Consequence(string operation) => (operation, _options.WhenUnavailable) switch
    {
        ("claim", RedisUnavailableBehavior.FailOpen) => "the message is handled without a claim, and a copy handled elsewhere meanwhile may be handled twice",
        ("claim", _) => "the consumer returns the message to its queue and tries it again later",
        ("mark_handled", _) => "the message stays handled, but a later copy of it may be handled again",
        _ => string.Create(CultureInfo.InvariantCulture,
            $"its claim stays until it expires (ClaimExpiry {_options.ClaimExpiry}), and copies of the message go back to the queue as in progress until then"),
    };

    /// <summary>
    /// A claim the caller gave up on (it failed, was too slow, or the caller stopped waiting) may still be written by Redis, or may
    /// have been written before its answer was lost: released as soon as the call ends, so that the message's next delivery does
    /// not find it in progress until it expires. Best effort: while Redis stays away, expiry frees it.
    /// </summary>
    private void ReleaseIfWrittenLate(Task<RedisResult> claiming, string key, string value) =>
        _ = claiming.ContinueWith(async (claim, _) =>
        {
            if (claim.IsCompletedSuccessfully)
            {
                RedisResult result = claim.Result;
                if (result.IsNull || !string.Equals((string?)result, value, StringComparison.Ordinal))
                {
                    return;
                }
            }
            else
            {
                _ = claim.Exception;
            }

            try
            {
                await EvaluateAsync(RedisDeduplicationScripts.Release, key, value).WaitAsync(_options.OperationTimeout).ConfigureAwait(false);
            }
            // Best effort (see above); the store may also have been disposed meanwhile.
            catch (Exception ex)
            {
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    _logger.LateClaimReleaseFailed(key, $"{ex.GetType().Name}: {ex.Message}");
                }
            }
        }, state: null, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();

    private void Remember(string key, string value)
    {
        long now = Stopwatch.GetTimestamp();
        _claims[key] = new LocalClaim(value, now);
        if (Interlocked.Increment(ref _remembered) % SweepEvery == 0)
        {
            // A claim neither marked nor released (its caller died with its task, or never called back) is of no use after it
            // expired in Redis and its handler is long gone: forgotten, so that the dictionary does not grow without end.
            TimeSpan stale = _options.ClaimExpiry * 2;
            foreach (KeyValuePair<string, LocalClaim> held in _claims)
            {
                if (Stopwatch.GetElapsedTime(held.Value.Claimed, now) > stale)
                {
                    _claims.TryRemove(held);
                }
            }
        }
    }

    private Task<ConnectionMultiplexer>? BeginDispose()
    {
        lock (_connectGate)
        {
            if (_disposed)
            {
                return null;
            }

            _disposed = true;
            _metrics.Dispose();
            return _connecting;
        }
    }

    private static void Observe(Task task) =>
        _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private static string Milliseconds(TimeSpan value) => ((long)value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);

    private readonly record struct LocalClaim(string Value, long Claimed);
}
