namespace RabbitHa.Client;

/// <summary>
/// Options of the first connect. While the cluster is still coming up, transient failures (unreachable,
/// refused, reset, timed out, including a RabbitMQ.Client operation that ran past its handshake or continuation
/// timeout) are retried with exponential backoff and jitter until <see cref="Timeout"/>; authentication failures
/// and other configuration errors fail at once. The allowed ranges are those of the Polly strategies they configure.
/// </summary>
public sealed class RabbitHaStartupOptions
{
    /// <summary>Gets or sets how long the first connect may take in total, retries included.</summary>
    /// <value>The default is 60 seconds. Allowed: 10 milliseconds to 1 day.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets or sets the base delay of the exponential backoff between attempts.</summary>
    /// <value>The default is 200 milliseconds. Allowed: 1 millisecond to 1 day.</value>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Gets or sets the longest delay between two attempts.</summary>
    /// <value>The default is 5 seconds. Allowed: <see cref="RetryDelay"/> to 1 day.</value>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <inheritdoc/>
    public override string ToString() => $"{{ Timeout = {Timeout}, RetryDelay = {RetryDelay}, MaxRetryDelay = {MaxRetryDelay} }}";
}
