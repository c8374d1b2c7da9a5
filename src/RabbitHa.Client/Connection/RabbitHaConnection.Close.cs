using RabbitHa.Client.Internal.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Internal.Connection;

// Closing is final and may race a start-up still retrying or a recovery under way: the order of what is stopped first
// is the point of this file.
internal sealed partial class RabbitHaConnection
{
    /// <summary>Closes the connection (the hosted service calls this when the host stops). Final and idempotent.</summary>
    /// <param name="cancellationToken">Cuts the graceful close short; the connection is then aborted.</param>
    internal async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        // Before the connection goes: the retry then takes what the close does to it for the stop it is, not for an error.
        _refusals.Stop();

        IConnection? connection;
        Task? connecting;
        Task? replacing;
        TimeSpan? blockedFor;
        lock (_gate)
        {
            if (_state == RabbitHaConnectionState.Closed)
            {
                return;
            }

            blockedFor = EndBlockedLocked();
            SetStateLocked(RabbitHaConnectionState.Closed);
            PostUnblockedLocked(blockedFor);
            StopWatchingRecoveryLocked();
            connection = _connection;
            _connection = null;
            connecting = _connectTask;
            replacing = _replacement;
        }

        ReportUnblocked(blockedFor);

        // Stops a start-up still retrying; its callers get the cancellation, its log says the rest.
        await _lifetime.CancelAsync().ConfigureAwait(false);
        if (connecting is not null)
        {
            await connecting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (replacing is not null)
        {
            await replacing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (connection is not null)
        {
            await CloseConnectionAsync(connection, cancellationToken).ConfigureAwait(false);
        }

        await _refusals.DisposeAsync().ConfigureAwait(false);
        _logger.ConnectionClosed(ClientProvidedName);
    }

    /// <summary>Closes the connection cleanly, waiting up to <see cref="RabbitHaOptions.ContinuationTimeout"/> for the broker.</summary>
    /// <returns>A task that completes when the connection is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        await CloseAsync(CancellationToken.None).ConfigureAwait(false);
        _lifetime.Dispose();
    }

    private async Task CloseConnectionAsync(IConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            // Aborting a connection that is already down (recovering) skips waiting for a broker that is not there.
            await connection.CloseAsync(Constants.ReplySuccess, "Closed by the application", _options.ContinuationTimeout,
                abort: !connection.IsOpen, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationInterruptedException or IOException or TimeoutException or OperationCanceledException)
        {
            // Lost while closing, or the host's stop timeout ran out: there is nothing more to close cleanly.
            _logger.CloseFailed(ClientProvidedName, ex);
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
