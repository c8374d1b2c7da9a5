using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace RabbitHa.Client;

/// <summary>
/// The publisher's resilience pipeline, for the sends after the first one: a total timeout (what is left of
/// <see cref="RabbitHaPublisherOptions.PublishTimeout"/>) around retries (exponential backoff with jitter, no
/// count limit of their own) around a timeout for each send's confirm.
/// </summary>
internal static class PublishRetryPipeline
{
    /// <summary>What is left of the publish timeout when the pipeline takes over; set on the context by the caller.</summary>
    public static readonly ResiliencePropertyKey<TimeSpan> RemainingTime = new("RabbitHa.Publish.RemainingTime");

    public static ResiliencePipeline Create(RabbitHaPublisherOptions options, Func<OnRetryArguments<object>, ValueTask> onRetry) =>
        new ResiliencePipelineBuilder()
            .AddTimeout(new TimeoutStrategyOptions
            {
                Timeout = options.PublishTimeout,
                TimeoutGenerator = static args => new ValueTask<TimeSpan>(args.Context.Properties.GetValue(RemainingTime, TimeSpan.Zero) is var remaining && remaining > TimeSpan.Zero
                    ? remaining
                    : TimeSpan.FromMilliseconds(1)),
            })
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
