using System.Globalization;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Resilience;
using RabbitHa.Client.Internal.Topology;
using RabbitMQ.Client;

namespace RabbitHa.Client.Internal.Connection;

/// <summary>
/// The watch over RabbitMQ.Client's recovery: one that goes <see cref="RabbitHaRecoveryOptions.AttemptTimeout"/> without
/// an attempt ending is given up on, and a new connection opened in its place.
/// </summary>
/// <remarks>
/// RabbitMQ.Client 7.2 waits for the broker's <c>connection.start</c> with no time limit of its own, and its recovery loop
/// passes only the connection's lifetime token: a reconnection whose socket was closed before that wait began (through
/// HAProxy, the moment a node was killed) was seen waiting for minutes, no failure reported, the application's publishes
/// and consumers stopped with it. Nothing short of closing that connection ends the wait, so the connection is let go.
/// </remarks>
internal sealed partial class RabbitHaConnection
{
    /// <summary>The watch of the current recovery, or <see langword="null"/>; guarded by <see cref="_gate"/>.</summary>
    private ITimer? _recoveryWatch;

    /// <summary>When the watched recovery last showed life (its loss, an attempt that ended); guarded by <see cref="_gate"/>.</summary>
    private long _recoveryProgressAt;

    /// <summary>The replacement of a stalled connection under way, or done; awaited by <see cref="CloseAsync"/>.</summary>
    private Task? _replacement;

    /// <summary>(Re)starts the watch of <paramref name="recovering"/>'s recovery: its next attempt starts after <paramref name="pause"/>.</summary>
    private void WatchRecoveryLocked(IConnection recovering, TimeSpan pause)
    {
        TimeProvider clock = _timeProvider ?? TimeProvider.System;
        _recoveryProgressAt = clock.GetTimestamp();
        _recoveryWatch?.Dispose();
        _recoveryWatch = clock.CreateTimer(
            static state =>
            {
                var (self, connection) = ((RabbitHaConnection, IConnection))state!;
                self.OnRecoveryStalled(connection);
            },
            (this, recovering),
            pause + _options.Recovery.AttemptTimeout,
            Timeout.InfiniteTimeSpan);
    }

    private void StopWatchingRecoveryLocked()
    {
        _recoveryWatch?.Dispose();
        _recoveryWatch = null;
    }

    private void OnRecoveryStalled(IConnection stalled)
    {
        TimeSpan stalledFor;
        lock (_gate)
        {
            // Recovered, closed or already replaced meanwhile: the timer fired late for a recovery that is over.
            if (_state != RabbitHaConnectionState.Recovering || !ReferenceEquals(_connection, stalled))
            {
                return;
            }

            StopWatchingRecoveryLocked();
            stalledFor = (_timeProvider ?? TimeProvider.System).GetElapsedTime(_recoveryProgressAt);
            _connection = null;

            // The hung attempt is a failed one like any other, and the first replacing attempt starts at once.
            var hung = new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                $"The recovery went {stalledFor.TotalSeconds:0.0} s without an attempt ending (Recovery:AttemptTimeout {_options.Recovery.AttemptTimeout.TotalSeconds:0.###} s); a new connection is opened in its place."));
            _events.Post(RecoveryFailed, new RabbitHaRecoveryFailedEventArgs(hung, TimeSpan.Zero), nameof(RecoveryFailed));
            _replacement = Task.Run(() => ReplaceStalledAsync(stalled, stalledFor), CancellationToken.None);
        }
    }

    /// <summary>Lets the stalled connection go, then opens new ones until one is open, the way the start does, with the recovery's backoff.</summary>
    private async Task ReplaceStalledAsync(IConnection stalled, TimeSpan stalledFor)
    {
        _metrics.RecoveryFailed(ClientProvidedName);
        _logger.RecoveryStalled(ClientProvidedName, stalledFor);

        // Unsubscribed first: closing it raises its shutdown, and a late recovery of it must not count for this connection.
        Unsubscribe(stalled);
        _ = LetGoAsync(stalled);

        CancellationToken lifetime = _lifetime.Token;
        TimeProvider clock = _timeProvider ?? TimeProvider.System;
        try
        {
            while (true)
            {
                IConnection connection;
                IReadOnlyList<(TopologyDeclaration, TopologyRefusal?)> topology;
                using (var limit = new CancellationTokenSource(_options.Recovery.AttemptTimeout, clock))
                using (var attempt = CancellationTokenSource.CreateLinkedTokenSource(lifetime, limit.Token))
                {
                    try
                    {
                        (connection, topology) = await OpenAsync(attempt.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (!lifetime.IsCancellationRequested)
                    {
                        // As RabbitMQ.Client's recovery does: every failure is worth another attempt, and each is logged and raised.
                        bool timedOut = limit.IsCancellationRequested;
                        string cause = timedOut
                            ? $"not open within Recovery:AttemptTimeout ({_options.Recovery.AttemptTimeout})"
                            : FailureClassification.DescribeCauses(ex);
                        Exception failure = timedOut ? new TimeoutException("The connection was " + cause + ".", ex) : ex;
                        TimeSpan delay;
                        lock (_gate)
                        {
                            if (_state != RabbitHaConnectionState.Recovering)
                            {
                                return;
                            }

                            delay = _recoveryBackoff.Next();
                            _events.Post(RecoveryFailed, new RabbitHaRecoveryFailedEventArgs(failure, delay), nameof(RecoveryFailed));
                        }

                        _metrics.RecoveryFailed(ClientProvidedName);
                        _logger.RecoveryFailed(ClientProvidedName, cause, delay);
                        await Task.Delay(delay, clock, lifetime).ConfigureAwait(false);
                        continue;
                    }
                }

                BrokerInfo broker = ReadBroker(connection);
                BrokerInfo previous;
                bool adopted;
                lock (_gate)
                {
                    previous = _broker;
                    adopted = _state == RabbitHaConnectionState.Recovering && _connection is null;
                    if (adopted)
                    {
                        _connection = connection;
                        _broker = broker;
                        SetStateLocked(RabbitHaConnectionState.Open);
                        PostRecoveredLocked(connection.Endpoint);
                    }
                }

                if (!adopted)
                {
                    // Closed meanwhile.
                    await AbortAsync(connection).ConfigureAwait(false);
                    return;
                }

                // After Open, as at start: a connection already lost by now reports it as soon as the handler is added.
                Subscribe(connection);
                ReportTopology(topology);
                ReportRecovered(connection.Endpoint, broker, previous);
                return;
            }
        }
        catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
        {
            // Closed while replacing: CloseAsync ends here.
        }
    }

    /// <summary>
    /// Closes and releases the stalled connection, in the background: its own recovery takes a while to see the close
    /// (RabbitMQ.Client waits up to its connection timeout for the recovery loop to stop).
    /// </summary>
    private async Task LetGoAsync(IConnection stalled)
    {
        try
        {
            await AbortAsync(stalled).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or OperationCanceledException or ObjectDisposedException
                                       or RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            // A connection that never finished opening may fail its close any way a dead socket does; it is gone either way.
            _logger.CloseFailed(ClientProvidedName, ex);
        }
    }
}
