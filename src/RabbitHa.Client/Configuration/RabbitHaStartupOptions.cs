namespace RabbitHa.Client;

/// <summary>
/// Options of the first connect. While the cluster is still coming up, transient failures (unreachable,
/// refused, reset, timed out, including a RabbitMQ.Client operation that ran past its handshake or continuation
/// timeout) are retried until <see cref="Timeout"/>, with a pause that doubles from <see cref="RetryDelay"/> up to
/// <see cref="MaxRetryDelay"/>, ±20 % at random (RabbitHa's one backoff, as for recovery, re-sends and resubscribing);
/// authentication failures and other configuration errors fail at once. <see cref="Timeout"/>'s range is that of the
/// Polly timeout it configures.
/// </summary>
public sealed class RabbitHaStartupOptions
{
    /// <summary>Gets or sets how long the first connect may take in total, retries included.</summary>
    /// <value>The default is 60 seconds. Allowed: 10 milliseconds to 1 day.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets or sets the pause after the first failed attempt; it doubles after each further failure.</summary>
    /// <value>The default is 200 milliseconds. Allowed: 1 millisecond to 1 day.</value>
    /// <remarks>Each pause varies by ±20 % at random, within <see cref="RetryDelay"/> and <see cref="MaxRetryDelay"/>.</remarks>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Gets or sets the longest pause between two attempts.</summary>
    /// <value>The default is 5 seconds. Allowed: <see cref="RetryDelay"/> to 1 day.</value>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <inheritdoc/>
    public override string ToString() => $"{{ Timeout = {Timeout}, RetryDelay = {RetryDelay}, MaxRetryDelay = {MaxRetryDelay} }}";
}
