using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace RabbitHa.Client;

/// <summary>
/// The publisher's resilience pipeline: a total timeout around retries (exponential backoff with jitter, no
/// count limit of their own) around a timeout for each send's confirm.
/// </summary>
internal static class PublishRetryPipeline
{
    public static ResiliencePipeline Create(RabbitHaPublisherOptions options, Func<OnRetryArguments<object>, ValueTask> onRetry) =>
        new ResiliencePipelineBuilder()
            .AddTimeout(new TimeoutStrategyOptions { Timeout = options.PublishTimeout })
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(PublishFailureClassifier.IsRetriable),
                // Bounded by the total timeout instead: a failover takes as many retries as it takes.
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.RetryMaxDelay,
                OnRetry = onRetry,
            })
            .AddTimeout(new TimeoutStrategyOptions { Timeout = options.ConfirmTimeout })
            .Build();
}
