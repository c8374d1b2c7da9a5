using Microsoft.Extensions.Logging;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Resilience;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Internal.Topology;

/// <summary>
/// The exchanges, queues and bindings the broker refused to declare on one connection, at connect or during
/// recovery, and the background retry that declares them again until the broker accepts them or the connection
/// is closed. Each refusal is logged and counted; the health check reads <see cref="Snapshot"/>.
/// </summary>
/// <remarks>
/// The connection carries on without what was refused: a queue that another party re-created with other arguments
/// must not stop every publish to every other queue. What the broker refused is usually fixed by a person (the queue
/// deleted, the options changed), so the retry keeps asking, at a growing interval (<see cref="JitteredBackoff"/>),
/// and only while the connection is open.
/// </remarks>
internal sealed class TopologyRefusals : IAsyncDisposable
{
    private readonly string _connectionName;
    private readonly Func<CancellationToken, Task<IChannel>> _openChannelAsync;
    private readonly RabbitHaMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    /// <summary>The first retry delay. A refusal is fixed by a person (an operator deleting a queue, a deployment changing the options).</summary>
    public static readonly TimeSpan DefaultDelay = TimeSpan.FromSeconds(1);

    /// <summary>The longest retry delay: a cadence that costs the broker nothing yet notices the fix within half a minute.</summary>
    public static readonly TimeSpan DefaultMaxDelay = TimeSpan.FromSeconds(30);

    private readonly TimeSpan _delay;
    private readonly TimeSpan _maxDelay;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _refused = new(StringComparer.Ordinal);

    private TaskCompletionSource _refusedAgain = NewSignal();
    private Task? _retrying;
    private long _sequence;
    private bool _stopped;

    /// <param name="connectionName">The connection's name, for logs, metrics and the health check.</param>
    /// <param name="openChannelAsync">
    /// Opens a channel once the connection is open, without connecting a connection nobody opened; throws when the
    /// connection is lost meanwhile.
    /// </param>
    /// <param name="metrics">Where refusals are counted.</param>
    /// <param name="logger">Where refusals, and their end, are logged.</param>
    /// <param name="timeProvider">The clock of the retry; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="delay">The first retry delay; <see cref="DefaultDelay"/> (1 s) when <see langword="null"/>.</param>
    /// <param name="maxDelay">The longest retry delay; <see cref="DefaultMaxDelay"/> (30 s) when <see langword="null"/>.</param>
    public TopologyRefusals(
        string connectionName,
        Func<CancellationToken, Task<IChannel>> openChannelAsync,
        RabbitHaMetrics metrics,
        ILogger logger,
        TimeProvider? timeProvider = null,
        TimeSpan? delay = null,
        TimeSpan? maxDelay = null)
    {
        ArgumentNullException.ThrowIfNull(connectionName);
        ArgumentNullException.ThrowIfNull(openChannelAsync);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(logger);
        _connectionName = connectionName;
        _openChannelAsync = openChannelAsync;
        _metrics = metrics;
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
        _delay = delay ?? DefaultDelay;
        _maxDelay = maxDelay ?? DefaultMaxDelay;
    }

    public string ConnectionName => _connectionName;

    /// <summary>Records that the broker refused <paramref name="declaration"/>: logs it, counts it, and (re)starts the retry from its shortest delay.</summary>
    public void Refused(TopologyDeclaration declaration, TopologyRefusal refusal)
    {
        ArgumentNullException.ThrowIfNull(declaration);
        ArgumentNullException.ThrowIfNull(refusal);

        TaskCompletionSource refusedAgain;
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            long sequence = ++_sequence;
            if (_refused.TryGetValue(declaration.Description, out Entry? entry))
            {
                entry.RefusedAgain(declaration, refusal, sequence);
            }
            else
            {
                _refused.Add(declaration.Description, new Entry(declaration, refusal, sequence, _time.GetTimestamp()));
            }

            refusedAgain = _refusedAgain;
            _refusedAgain = NewSignal();
            CancellationToken stop = _stop.Token;
            _retrying ??= Task.Run(() => RetryAsync(stop), CancellationToken.None);
        }

        refusedAgain.TrySetResult();
        _metrics.TopologyRefused(_connectionName, declaration.Description, refusal.ReplyCode);
        _logger.TopologyRefused(_connectionName, declaration.Description, refusal.ReplyCode, refusal.ReplyText);
    }

    /// <summary>
    /// Records what declaring the configured topology on a newly opened connection gave: the accepted declarations
    /// are no longer refused, the refused ones are recorded as by <see cref="Refused"/>.
    /// </summary>
    public void Report(IReadOnlyList<(TopologyDeclaration Declaration, TopologyRefusal? Refusal)> outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        foreach ((TopologyDeclaration declaration, TopologyRefusal? refusal) in outcomes)
        {
            if (refusal is null)
            {
                Accepted(declaration, generation: null);
            }
            else
            {
                Refused(declaration, refusal);
            }
        }
    }

    /// <summary>Gets what the broker refuses now, in the order it was first refused.</summary>
    public IReadOnlyList<RefusedDeclaration> Snapshot()
    {
        lock (_gate)
        {
            return _refused.Values
                .OrderBy(static e => e.Order)
                .Select(e => new RefusedDeclaration(e.Declaration.Description, e.Refusal, e.Refusals, _time.GetElapsedTime(e.Since)))
                .ToList();
        }
    }

    /// <summary>Stops retrying, at once and for good (the connection is closing); what is in flight is cancelled.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
        }

        _stop.Cancel();
    }

    /// <summary>Stops retrying and waits until the retry in flight, if any, has ended.</summary>
    /// <returns>A task that completes when nothing runs any more.</returns>
    public async ValueTask DisposeAsync()
    {
        Stop();
        Task? retrying;
        lock (_gate)
        {
            retrying = _retrying;
        }

        if (retrying is not null)
        {
            // RetryAsync ends on the cancellation and handles every failure itself; there is nothing to observe.
            await retrying.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stop.Dispose();
    }

    private async Task RetryAsync(CancellationToken stop)
    {
        var backoff = new JitteredBackoff(_delay, _maxDelay);
        TimeSpan delay = backoff.Next();
        try
        {
            while (true)
            {
                Task refusedAgain;
                lock (_gate)
                {
                    if (_refused.Count == 0 || _stopped)
                    {
                        _retrying = null;
                        return;
                    }

                    refusedAgain = _refusedAgain.Task;
                }

                if (await WaitAsync(delay, refusedAgain, stop).ConfigureAwait(false))
                {
                    // Something new was refused (another recovery, a reconnect): it may be fixed already, so ask soon.
                    backoff.Reset();
                    delay = backoff.Next();
                    continue;
                }

                List<(TopologyDeclaration Declaration, long Generation)> pending;
                lock (_gate)
                {
                    pending = _refused.Values
                        .OrderBy(static e => e.Declaration.Kind)
                        .ThenBy(static e => e.Order)
                        .Select(static e => (e.Declaration, e.Generation))
                        .ToList();
                }

                IReadOnlyList<(TopologyDeclaration Declaration, TopologyRefusal? Refusal)> outcomes;
                try
                {
                    outcomes = await TopologyDeclarer.DeclareAsync(_openChannelAsync, pending.ConvertAll(static p => p.Declaration), stop)
                        .ConfigureAwait(false);
                }
                catch (Exception ex) when (!stop.IsCancellationRequested && IsConnectivityFailure(ex))
                {
                    delay = backoff.Next();
                    if (_logger.IsEnabled(LogLevel.Debug))
                    {
                        _logger.TopologyRetryInterrupted(_connectionName, FailureClassification.DescribeCauses(ex), delay);
                    }

                    continue;
                }
                catch (Exception ex) when (!stop.IsCancellationRequested)
                {
                    // This loop is the only thing that brings refused topology back: a failure nobody foresaw is
                    // logged as an error and the loop goes on, rather than leaving the refusals unattended.
                    delay = backoff.Next();
                    _logger.TopologyRetryFailed(_connectionName, delay, ex);
                    continue;
                }

                delay = backoff.Next();
                for (int i = 0; i < outcomes.Count; i++)
                {
                    (TopologyDeclaration declaration, TopologyRefusal? refusal) = outcomes[i];
                    if (refusal is null)
                    {
                        Accepted(declaration, pending[i].Generation);
                    }
                    else
                    {
                        StillRefused(declaration, pending[i].Generation, refusal, delay);
                    }
                }
            }
        }
        catch (Exception ex) when (stop.IsCancellationRequested && (ex is ObjectDisposedException || IsConnectivityFailure(ex)))
        {
            // Stopped: the connection is closing, and whatever it threw at the attempt in flight says only that.
        }
    }

    /// <summary>Waits <paramref name="delay"/>; returns <see langword="true"/> if a new refusal came first.</summary>
    private async Task<bool> WaitAsync(TimeSpan delay, Task refusedAgain, CancellationToken stop)
    {
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stop);
        Task delayed = Task.Delay(delay, _time, waiting.Token);
        Task first = await Task.WhenAny(delayed, refusedAgain).ConfigureAwait(false);
        await waiting.CancelAsync().ConfigureAwait(false);
        stop.ThrowIfCancellationRequested();
        return first == refusedAgain;
    }

    /// <param name="declaration">What the broker accepted.</param>
    /// <param name="generation">The refusal the accepted declaration answers; <see langword="null"/> for a declaration on a new connection, which answers them all.</param>
    private void Accepted(TopologyDeclaration declaration, long? generation)
    {
        Entry? entry;
        lock (_gate)
        {
            // Refused again (by a recovery) while this attempt ran: that refusal is newer than this success.
            if (!_refused.TryGetValue(declaration.Description, out entry) || (generation is { } g && entry.Generation != g))
            {
                return;
            }

            _refused.Remove(declaration.Description);
        }

        TimeSpan refusedFor = _time.GetElapsedTime(entry.Since);
        _logger.TopologyDeclaredAfterRefusal(_connectionName, declaration.Description, entry.Refusals, refusedFor);
    }

    private void StillRefused(TopologyDeclaration declaration, long generation, TopologyRefusal refusal, TimeSpan nextDelay)
    {
        int refusals;
        lock (_gate)
        {
            if (!_refused.TryGetValue(declaration.Description, out Entry? entry) || entry.Generation != generation)
            {
                return;
            }

            entry.RetryRefused(refusal);
            refusals = entry.Refusals;
        }

        _metrics.TopologyRefused(_connectionName, declaration.Description, refusal.ReplyCode);
        _logger.TopologyStillRefused(_connectionName, declaration.Description, refusals, refusal.ReplyCode, refusal.ReplyText, nextDelay);
    }

    /// <summary>The connection, not the declaration, failed: declaring again once it is open may succeed.</summary>
    private static bool IsConnectivityFailure(Exception exception) =>
        exception is OperationInterruptedException or IOException or TimeoutException or OperationCanceledException;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>One refused entity as the health check shows it.</summary>
    /// <param name="Entity">Such as <c>queue 'orders'</c>.</param>
    /// <param name="Refusal">The broker's latest reply.</param>
    /// <param name="Refusals">How many times it was refused in a row.</param>
    /// <param name="RefusedFor">How long since it was first refused.</param>
    internal sealed record RefusedDeclaration(string Entity, TopologyRefusal Refusal, int Refusals, TimeSpan RefusedFor);

    private sealed class Entry(TopologyDeclaration declaration, TopologyRefusal refusal, long sequence, long since)
    {
        public TopologyDeclaration Declaration { get; private set; } = declaration;

        public TopologyRefusal Refusal { get; private set; } = refusal;

        /// <summary>Gets when it was first refused, to report in order.</summary>
        public long Order { get; } = sequence;

        /// <summary>Gets which refusal this is the latest of; a retry's outcome applies only to the refusal it answers.</summary>
        public long Generation { get; private set; } = sequence;

        public long Since { get; } = since;

        public int Refusals { get; private set; } = 1;

        public void RefusedAgain(TopologyDeclaration declaration, TopologyRefusal refusal, long generation)
        {
            // The newest declaration: after a recovery it is RabbitMQ.Client's record, which is what the broker now refuses.
            Declaration = declaration;
            Refusal = refusal;
            Generation = generation;
            Refusals++;
        }

        public void RetryRefused(TopologyRefusal refusal)
        {
            Refusal = refusal;
            Refusals++;
        }
    }
}
