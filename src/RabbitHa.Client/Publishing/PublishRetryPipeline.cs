using Polly;
using Polly.Retry;
using Polly.Timeout;
using RabbitHa.Client.Internal.Resilience;

namespace RabbitHa.Client.Internal.Publishing;

/// <summary>
/// The publisher's resilience pipeline, for the sends after the first one: retries (paused by <see cref="JitteredBackoff"/>:
/// <see cref="RabbitHaPublisherOptions.RetryDelay"/> doubling up to <see cref="RabbitHaPublisherOptions.MaxRetryDelay"/>,
/// ±20 %; no count limit of their own) around a timeout for each send's confirm. The publish's deadline (what is left of
/// <see cref="RabbitHaPublisherOptions.PublishTimeout"/>, which started at the call) is the context's token, so it
/// bounds the retries, their delays and each send at once.
/// </summary>
internal static class PublishRetryPipeline
{
    /// <summary>The message being sent, for the retry callback.</summary>
    public static readonly ResiliencePropertyKey<PublishAttempt> Attempt = new("RabbitHa.Publish.Attempt");

    /// <param name="options">The confirm timeout and the backoff.</param>
    /// <param name="onRetry">Called before each retry, with the failure and the delay.</param>
    /// <param name="random">The backoff's jitter, a number in [0, 1); tests pass a fixed one.</param>
    public static ResiliencePipeline Create(RabbitHaPublisherOptions options, Func<OnRetryArguments<object>, ValueTask> onRetry, Func<double>? random = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var backoff = new JitteredBackoff(options.RetryDelay, options.MaxRetryDelay, random);
        return new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(FailureClassification.IsRetriableSendFailure),
                // Bounded by the deadline instead: a failover takes as many retries as it takes.
                MaxRetryAttempts = int.MaxValue,
                // RabbitHa's one curve; Polly's own Delay, BackoffType, UseJitter and MaxDelay are left unused.
                DelayGenerator = backoff.GenerateDelay,
                OnRetry = onRetry,
            })
            .AddTimeout(new TimeoutStrategyOptions { Timeout = options.ConfirmTimeout })
            .Build();
    }
}
