using System.Collections.Concurrent;
using Polly;
using Polly.Retry;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Internal.Publishing;
using RabbitHa.Client.Internal.Resilience;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Tests.Resilience;

/// <summary>The one backoff curve, and the Polly pipelines that take their delays from it.</summary>
[Trait("Category", "Unit")]
public sealed class JitteredBackoffTests
{
    private static readonly Func<double> s_middle = () => 0.5;

    [Fact]
    public void Delay_DoublesFromTheFirstUpToTheLongest()
    {
        var backoff = new JitteredBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), s_middle);

        Assert.Equal([100, 200, 400, 800, 1000, 1000], Enumerable.Range(0, 6).Select(i => backoff.Delay(i).TotalMilliseconds));
        Assert.Equal(TimeSpan.FromSeconds(1), backoff.Delay(int.MaxValue));
    }

    [Fact]
    public void Delay_JitterIsTwentyPercentEitherWay_KeptWithinTheFirstAndTheLongest()
    {
        var low = new JitteredBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), random: () => 0);
        var high = new JitteredBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), random: () => 0.999);

        Assert.Equal(TimeSpan.FromMilliseconds(100), low.Delay(0));
        Assert.Equal(160, low.Delay(1).TotalMilliseconds, 3);
        Assert.Equal(800, low.Delay(4).TotalMilliseconds, 3);
        Assert.Equal(119.96, high.Delay(0).TotalMilliseconds, 2);
        Assert.Equal(959.68, high.Delay(3).TotalMilliseconds, 2);
        Assert.Equal(TimeSpan.FromSeconds(1), high.Delay(4));
    }

    [Fact]
    public void Delay_WhenTheFirstIsZero_IsAlwaysZero()
    {
        var backoff = new JitteredBackoff(TimeSpan.Zero, TimeSpan.FromSeconds(1), random: () => 0.999);

        Assert.All(Enumerable.Range(0, 40), i => Assert.Equal(TimeSpan.Zero, backoff.Delay(i)));
    }

    [Fact]
    public void Next_HandsOutTheCurveInOrder_AndResetStartsItAgain()
    {
        var backoff = new JitteredBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), s_middle);

        TimeSpan[] delays = Enumerable.Range(0, 6).Select(_ => backoff.Next()).ToArray();
        int counted = backoff.Attempt;
        backoff.Reset();

        Assert.Equal(Enumerable.Range(0, 6).Select(backoff.Delay), delays);
        Assert.Equal(6, counted);
        Assert.Equal(TimeSpan.FromMilliseconds(100), backoff.Next());
        Assert.Equal(1, backoff.Attempt);
    }

    [Fact]
    public void Constructor_WhenTheLongestIsShorterThanTheFirst_ThrowsNamingIt()
    {
        Assert.Equal("max", Assert.Throws<ArgumentOutOfRangeException>(
            () => new JitteredBackoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1))).ParamName);
    }

    [Fact]
    public void Constructor_WhenTheFirstIsNegative_ThrowsNamingIt()
    {
        Assert.Equal("min", Assert.Throws<ArgumentOutOfRangeException>(
            () => new JitteredBackoff(TimeSpan.FromTicks(-1), TimeSpan.FromSeconds(1))).ParamName);
    }

    [Fact]
    public void Delay_WhenTheAttemptIsNegative_ThrowsNamingIt()
    {
        var backoff = new JitteredBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));

        Assert.Equal("attempt", Assert.Throws<ArgumentOutOfRangeException>(() => backoff.Delay(-1)).ParamName);
    }

    [Fact]
    public async Task StartupRetryPipeline_PausesFollowTheCurve()
    {
        var options = new RabbitHaStartupOptions
        {
            Timeout = TimeSpan.FromMinutes(1),
            RetryDelay = TimeSpan.FromMilliseconds(1),
            MaxRetryDelay = TimeSpan.FromMilliseconds(4),
        };

        TimeSpan[] pauses = await PausesAsync(
            onRetry => StartupRetryPipeline.Create(options, onRetry, random: s_middle), () => new TimeoutException("connect timed out"));

        Assert.Equal(Curve(options.RetryDelay, options.MaxRetryDelay), pauses);
        Assert.Equal([1, 2, 4, 4, 4], pauses.Select(d => d.TotalMilliseconds));
    }

    [Fact]
    public async Task PublishRetryPipeline_PausesFollowTheCurve()
    {
        var options = new RabbitHaPublisherOptions { RetryDelay = TimeSpan.FromMilliseconds(1), MaxRetryDelay = TimeSpan.FromMilliseconds(4) };

        TimeSpan[] pauses = await PausesAsync(onRetry => PublishRetryPipeline.Create(options, onRetry, random: s_middle), ConnectionLost);

        Assert.Equal(Curve(options.RetryDelay, options.MaxRetryDelay), pauses);
    }

    [Fact]
    public async Task PublishRetryPipeline_WhenRetryDelayIsZero_SendsAgainAtOnce()
    {
        var options = new RabbitHaPublisherOptions { RetryDelay = TimeSpan.Zero, MaxRetryDelay = TimeSpan.FromSeconds(1) };

        TimeSpan[] pauses = await PausesAsync(onRetry => PublishRetryPipeline.Create(options, onRetry), ConnectionLost);

        Assert.All(pauses, p => Assert.Equal(TimeSpan.Zero, p));
    }

    private const int Failures = 5;

    /// <summary>The pauses a pipeline takes, as its OnRetry is told them, through <see cref="Failures"/> failures and then a success.</summary>
    private static async Task<TimeSpan[]> PausesAsync(Func<Func<OnRetryArguments<object>, ValueTask>, ResiliencePipeline> create, Func<Exception> failure)
    {
        var pauses = new ConcurrentQueue<TimeSpan>();
        ResiliencePipeline pipeline = create(args =>
        {
            pauses.Enqueue(args.RetryDelay);
            return default;
        });
        int attempts = 0;

        await pipeline.ExecuteAsync(_ => ++attempts <= Failures ? throw failure() : ValueTask.CompletedTask);

        Assert.Equal(Failures, pauses.Count);
        return [.. pauses];
    }

    private static AlreadyClosedException ConnectionLost() => new(new ShutdownEventArgs(ShutdownInitiator.Library, 541, "lost"));

    private static IEnumerable<TimeSpan> Curve(TimeSpan first, TimeSpan max)
    {
        var backoff = new JitteredBackoff(first, max, s_middle);
        return Enumerable.Range(0, Failures).Select(backoff.Delay);
    }
}
