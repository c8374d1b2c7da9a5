using Polly;
using Polly.Retry;
using RabbitHa.Client.Internal.Resilience;

namespace RabbitHa.Client.Internal.Connection;

/// <summary>
/// The Polly pipeline around the first connect: a timeout bounding the whole start-up outside a retry of
/// transient failures, paused by <see cref="JitteredBackoff"/> (<see cref="RabbitHaStartupOptions.RetryDelay"/> doubling
/// up to <see cref="RabbitHaStartupOptions.MaxRetryDelay"/>, ±20 %). RabbitMQ.Client's own automatic recovery takes
/// over once the first connect has succeeded; this pipeline never runs again for that connection.
/// </summary>
internal static class StartupRetryPipeline
{
    public const string Name = "RabbitHa.Startup";

    /// <param name="options">Timeout and backoff.</param>
    /// <param name="onRetry">Called before each retry, with the failure and the delay (for logging).</param>
    /// <param name="timeProvider">The clock; tests may pass a fake one.</param>
    /// <param name="random">The backoff's jitter, a number in [0, 1); tests pass a fixed one.</param>
    public static ResiliencePipeline Create(
        RabbitHaStartupOptions options,
        Func<OnRetryArguments<object>, ValueTask>? onRetry = null,
        TimeProvider? timeProvider = null,
        Func<double>? random = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var backoff = new JitteredBackoff(options.RetryDelay, options.MaxRetryDelay, random);
        var builder = new ResiliencePipelineBuilder { Name = Name };
        if (timeProvider is not null)
        {
            builder.TimeProvider = timeProvider;
        }

        return builder
            .AddTimeout(options.Timeout)
            .AddRetry(new RetryStrategyOptions
            {
                // The context's token is the caller's linked with the timeout above: once either has fired, a
                // cancellation is the stop it asked for, not RabbitMQ.Client timing out an operation.
                ShouldHandle = static args => ValueTask.FromResult(
                    args.Outcome.Exception is { } exception
                    && FailureClassification.IsTransientConnectFailure(exception, args.Context.CancellationToken)),
                // RabbitHa's one curve; Polly's own Delay, BackoffType, UseJitter and MaxDelay are left unused.
                DelayGenerator = backoff.GenerateDelay,

                // The timeout above is the bound; counting attempts as well would only make two limits to tune.
                MaxRetryAttempts = int.MaxValue,
                OnRetry = onRetry,
            })
            .Build();
    }
}
