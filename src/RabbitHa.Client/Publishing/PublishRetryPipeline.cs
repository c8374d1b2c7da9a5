using Polly;
using Polly.Retry;
using Polly.Timeout;
using RabbitHa.Client.Internal.Resilience;

namespace RabbitHa.Client.Internal.Publishing;

/// <summary>
/// The publisher's resilience pipeline, for the sends after the first one: retries (exponential backoff with jitter,
/// no count limit of their own) around a timeout for each send's confirm. The publish's deadline (what is left of
/// <see cref="RabbitHaPublisherOptions.PublishTimeout"/>, which started at the call) is the context's token, so it
/// bounds the retries, their delays and each send at once.
/// </summary>
internal static class PublishRetryPipeline
{
    /// <summary>The message being sent, for the retry callback.</summary>
    public static readonly ResiliencePropertyKey<PublishAttempt> Attempt = new("RabbitHa.Publish.Attempt");

    public static ResiliencePipeline Create(RabbitHaPublisherOptions options, Func<OnRetryArguments<object>, ValueTask> onRetry) =>
        new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(FailureClassification.IsRetriableSendFailure),
                // Bounded by the deadline instead: a failover takes as many retries as it takes.
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = options.MaxRetryDelay,
                OnRetry = onRetry,
            })
            .AddTimeout(new TimeoutStrategyOptions { Timeout = options.ConfirmTimeout })
            .Build();
}
