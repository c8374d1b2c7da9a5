using Microsoft.Extensions.Logging;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Resilience;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace RabbitHa.Client.Internal.Connection;

// RabbitMQ.Client raises its connection events on its own threads, its frame reader and its recovery loop among them; what
// they change in RabbitHa's state is in one place. RabbitHa's own events are posted to _events in the lock that makes the
// change they report, and raised from there on the thread pool (ConnectionEventQueue), never on RabbitMQ.Client's threads.
internal sealed partial class RabbitHaConnection
{
    /// <inheritdoc/>
    public event EventHandler<RabbitHaConnectionLostEventArgs>? ConnectionLost;

    /// <inheritdoc/>
    public event EventHandler<RabbitHaConnectionRecoveredEventArgs>? ConnectionRecovered;

    /// <inheritdoc/>
    public event EventHandler<RabbitHaRecoveryFailedEventArgs>? RecoveryFailed;

    /// <inheritdoc/>
    public event EventHandler<RabbitHaConnectionBlockedEventArgs>? Blocked;

    /// <inheritdoc/>
    public event EventHandler<RabbitHaConnectionUnblockedEventArgs>? Unblocked;

    /// <summary>Gets the queue the events are raised from; tests await <see cref="ConnectionEventQueue.Raised"/>.</summary>
    internal ConnectionEventQueue Events => _events;

    private void Subscribe(IConnection connection)
    {
        connection.RecoverySucceededAsync += OnRecoverySucceededAsync;
        connection.ConnectionRecoveryErrorAsync += OnRecoveryErrorAsync;
        connection.ConnectionBlockedAsync += OnBlockedAsync;
        connection.ConnectionUnblockedAsync += OnUnblockedAsync;
        connection.CallbackExceptionAsync += OnCallbackExceptionAsync;
        connection.ConnectionShutdownAsync += OnShutdownAsync;
    }

    private void Unsubscribe(IConnection connection)
    {
        connection.RecoverySucceededAsync -= OnRecoverySucceededAsync;
        connection.ConnectionRecoveryErrorAsync -= OnRecoveryErrorAsync;
        connection.ConnectionBlockedAsync -= OnBlockedAsync;
        connection.ConnectionUnblockedAsync -= OnUnblockedAsync;
        connection.CallbackExceptionAsync -= OnCallbackExceptionAsync;
        connection.ConnectionShutdownAsync -= OnShutdownAsync;
    }

    private Task OnShutdownAsync(object sender, ShutdownEventArgs e)
    {
        bool willRecover = WillRecover(e);
        TimeSpan? blockedFor;
        AmqpTcpEndpoint? endpoint;
        lock (_gate)
        {
            // Closing it ourselves, or RabbitMQ.Client aborting a half-recovered connection while we are
            // already Recovering: not a new loss.
            // (RabbitMQ.Client raises this one from its inner connection, so the sender says nothing: a connection given
            // up on as stalled is unsubscribed before it is let go.)
            if (_state != RabbitHaConnectionState.Open)
            {
                return Task.CompletedTask;
            }

            endpoint = _connection?.Endpoint;
            blockedFor = EndBlockedLocked();
            SetStateLocked(willRecover ? RabbitHaConnectionState.Recovering : RabbitHaConnectionState.Disconnected);
            PostUnblockedLocked(blockedFor);
            _events.Post(ConnectionLost, new RabbitHaConnectionLostEventArgs(
                endpoint, e.ReplyCode, e.ReplyText, e.Initiator == ShutdownInitiator.Peer, e.Exception, willRecover), nameof(ConnectionLost));
            _recoveryBackoff.Reset();
            if (willRecover)
            {
                WatchRecoveryLocked(_connection!, TimeSpan.Zero);
            }
            else
            {
                // The next ConnectAsync or channel request starts afresh (and releases this connection).
                _connectTask = null;
            }
        }

        _metrics.ConnectionLost(ClientProvidedName);
        _logger.ConnectionLost(ClientProvidedName, endpoint, e.Initiator, e.ReplyCode, e.ReplyText, willRecover, e.Exception);
        ReportUnblocked(blockedFor);
        return Task.CompletedTask;
    }

    private Task OnRecoverySucceededAsync(object sender, AsyncEventArgs e)
    {
        AmqpTcpEndpoint endpoint;
        BrokerInfo broker;
        BrokerInfo previous;
        lock (_gate)
        {
            // A connection given up on as stalled may still finish its recovery: it is not this one's any more.
            if (_state != RabbitHaConnectionState.Recovering || _connection is null || !ReferenceEquals(sender, _connection))
            {
                return Task.CompletedTask;
            }

            StopWatchingRecoveryLocked();
            endpoint = _connection.Endpoint;
            previous = _broker;
            broker = ReadBroker(_connection);
            _broker = broker;
            SetStateLocked(RabbitHaConnectionState.Open);
            PostRecoveredLocked(endpoint);
        }

        ReportRecovered(endpoint, broker, previous);
        return Task.CompletedTask;
    }

    private void ReportRecovered(AmqpTcpEndpoint endpoint, BrokerInfo broker, BrokerInfo previous)
    {
        _metrics.ConnectionRecovered(ClientProvidedName);
        _logger.ConnectionRecovered(ClientProvidedName, endpoint);
        if (broker != previous && _logger.IsEnabled(LogLevel.Information))
        {
            _logger.BrokerChanged(ClientProvidedName, broker.ToString(), previous.ToString());
        }

        _classicQueueWarnings.WarnIfUnreplicated(broker);
    }

    /// <summary>Posts <see cref="ConnectionRecovered"/>; in the lock that made the connection Open again.</summary>
    private void PostRecoveredLocked(AmqpTcpEndpoint endpoint) =>
        _events.Post(ConnectionRecovered, new RabbitHaConnectionRecoveredEventArgs(endpoint), nameof(ConnectionRecovered));

    /// <summary>
    /// One reconnection attempt failed: the backoff before the next one is taken here. RabbitMQ.Client awaits this event
    /// in its recovery loop, and otherwise waits the same fixed interval before every attempt (with no hook for a
    /// backoff): the interval is <see cref="RabbitHaRecoveryOptions.FirstAttemptDelay"/>, zero by default, so that the
    /// first attempt after a loss goes at once and the later ones wait what this adds.
    /// </summary>
    private async Task OnRecoveryErrorAsync(object sender, ConnectionRecoveryErrorEventArgs e)
    {
        TimeSpan delay;
        lock (_gate)
        {
            if (_state != RabbitHaConnectionState.Recovering || !ReferenceEquals(sender, _connection))
            {
                return;
            }

            delay = _recoveryBackoff.Next();

            // An attempt ended: the recovery is alive. The next attempt starts after the pause.
            WatchRecoveryLocked(_connection!, delay);
            _events.Post(RecoveryFailed, new RabbitHaRecoveryFailedEventArgs(e.Exception, delay), nameof(RecoveryFailed));
        }

        _metrics.RecoveryFailed(ClientProvidedName);
        if (_logger.IsEnabled(LogLevel.Warning))
        {
            // Only the cause, as for start-up attempts: RabbitMQ.Client retries for as long as the cluster is unreachable,
            // and a stack trace per attempt would bury the log during an outage.
            _logger.RecoveryFailed(ClientProvidedName, FailureClassification.DescribeCauses(e.Exception), delay);
        }

        try
        {
            await Task.Delay(delay, _timeProvider ?? TimeProvider.System, e.CancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (e.CancellationToken.IsCancellationRequested)
        {
            // The connection is being closed: RabbitMQ.Client ends its recovery loop.
        }
    }

    private Task OnCallbackExceptionAsync(object sender, CallbackExceptionEventArgs e)
    {
        string detail = string.Join(", ", e.Detail.Select(static pair => $"{pair.Key}: {pair.Value}"));
        _logger.CallbackException(ClientProvidedName, detail, e.Exception);
        return Task.CompletedTask;
    }

    /// <summary>The same rule RabbitMQ.Client's automatic recovery applies to decide whether it reconnects.</summary>
    internal static bool WillRecover(ShutdownEventArgs e) => e.Initiator switch
    {
        ShutdownInitiator.Peer => e.ReplyCode != Constants.AccessRefused,
        ShutdownInitiator.Library => e.Exception is not ThreadAbortException,
        _ => false,
    };
}
