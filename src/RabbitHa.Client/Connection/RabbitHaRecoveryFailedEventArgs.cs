namespace RabbitHa.Client;

/// <summary>What <see cref="IRabbitHaConnection.RecoveryFailed"/> reports: why one recovery attempt failed, and when the next one starts.</summary>
public sealed class RabbitHaRecoveryFailedEventArgs : EventArgs
{
    /// <summary>Initializes a new instance of the <see cref="RabbitHaRecoveryFailedEventArgs"/> class.</summary>
    /// <param name="exception">Why the attempt failed.</param>
    /// <param name="nextAttemptIn">The pause before the next attempt.</param>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="nextAttemptIn"/> is negative.</exception>
    public RabbitHaRecoveryFailedEventArgs(Exception exception, TimeSpan nextAttemptIn)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentOutOfRangeException.ThrowIfLessThan(nextAttemptIn, TimeSpan.Zero);
        Exception = exception;
        NextAttemptIn = nextAttemptIn;
    }

    /// <summary>Gets why the attempt failed: RabbitMQ.Client's exception (a refused or reset socket, a handshake that timed out, ...).</summary>
    public Exception Exception { get; }

    /// <summary>
    /// Gets the pause before the next attempt, counted from when the attempt failed: <see cref="RabbitHaRecoveryOptions.RetryDelay"/>
    /// after the first failure of a loss, doubling after each further one up to <see cref="RabbitHaRecoveryOptions.MaxRetryDelay"/>,
    /// ±20 % at random.
    /// </summary>
    public TimeSpan NextAttemptIn { get; }
}
