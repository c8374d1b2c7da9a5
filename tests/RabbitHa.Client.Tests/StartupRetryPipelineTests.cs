using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Polly;
using Polly.Timeout;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Tests.TestSupport;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Tests;

[Trait("Category", "Unit")]
public sealed class StartupRetryPipelineTests
{
    private static readonly RabbitHaStartupOptions s_fast = new()
    {
        Timeout = TimeSpan.FromSeconds(1.5),
        RetryDelay = TimeSpan.FromMilliseconds(20),
        MaxRetryDelay = TimeSpan.FromMilliseconds(100),
    };

    [Fact]
    public async Task ExecuteAsync_WhenBrokerPortClosed_RetriesUntilTimeout()
    {
        var failures = new ConcurrentQueue<Exception?>();
        ResiliencePipeline pipeline = StartupRetryPipeline.Create(s_fast, args =>
        {
            failures.Enqueue(args.Outcome.Exception);
            return default;
        });
        var factory = new ConnectionFactory { RequestedConnectionTimeout = TimeSpan.FromSeconds(1) };
        var resolver = new OrderedEndpointResolver([new AmqpTcpEndpoint("127.0.0.1", ClosedPort.Get())]);

        await Assert.ThrowsAsync<TimeoutRejectedException>(async () =>
            await pipeline.ExecuteAsync(async ct => await factory.CreateConnectionAsync(resolver, "startup-test", ct)));

        Assert.True(failures.Count >= 2, $"expected several retries, saw {failures.Count}");
        Assert.All(failures, e => Assert.IsType<BrokerUnreachableException>(e));
    }

    [Fact]
    public async Task ExecuteAsync_WhenTransientFailuresThenSuccess_ReturnsResult()
    {
        int attempts = 0;
        ResiliencePipeline pipeline = StartupRetryPipeline.Create(s_fast);

        string result = await pipeline.ExecuteAsync(_ =>
        {
            attempts++;
            return attempts < 3
                ? throw new BrokerUnreachableException(new AggregateException(new SocketException((int)SocketError.ConnectionRefused)))
                : ValueTask.FromResult("open");
        });

        Assert.Equal("open", result);
        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task ExecuteAsync_WhenAuthenticationFails_DoesNotRetry()
    {
        int attempts = 0;
        ResiliencePipeline pipeline = StartupRetryPipeline.Create(s_fast);

        await Assert.ThrowsAsync<BrokerUnreachableException>(async () => await pipeline.ExecuteAsync(async _ =>
        {
            attempts++;
            await Task.Yield();
            throw new BrokerUnreachableException(new AuthenticationFailureException("ACCESS_REFUSED - Login was refused"));
        }));

        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task ExecuteAsync_WhenRabbitMqClientTimesOutAnOperation_Retries()
    {
        int attempts = 0;
        ResiliencePipeline pipeline = StartupRetryPipeline.Create(s_fast);

        string result = await pipeline.ExecuteAsync(async _ =>
        {
            attempts++;
            await Task.Yield();

            // What a channel.open or a declaration past ContinuationTimeout throws during a failover.
            return attempts < 3 ? throw new TaskCanceledException("A task was canceled.") : "open";
        });

        Assert.Equal("open", result);
        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task ExecuteAsync_WhenCallersTokenCancelsTheAttempt_DoesNotRetry()
    {
        int attempts = 0;
        ResiliencePipeline pipeline = StartupRetryPipeline.Create(s_fast);
        using var stop = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pipeline.ExecuteAsync(async token =>
        {
            attempts++;
            await stop.CancelAsync();
            token.ThrowIfCancellationRequested();
        }, stop.Token));

        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task ExecuteAsync_WhenStartupTimeoutCancelsTheAttempt_FailsWithTimeoutInsteadOfRetrying()
    {
        int attempts = 0;
        var options = new RabbitHaStartupOptions { Timeout = TimeSpan.FromMilliseconds(200), RetryDelay = TimeSpan.FromMilliseconds(10), MaxRetryDelay = TimeSpan.FromMilliseconds(10) };
        ResiliencePipeline pipeline = StartupRetryPipeline.Create(options);

        await Assert.ThrowsAsync<TimeoutRejectedException>(async () => await pipeline.ExecuteAsync(async token =>
        {
            attempts++;
            await Task.Delay(Timeout.InfiniteTimeSpan, token);
        }));

        Assert.Equal(1, attempts);
    }

    [Theory]
    [InlineData("00:00:00.0099999", "00:00:00.2", "00:00:05", false)]
    [InlineData("00:00:00.010", "00:00:00.2", "00:00:05", true)]
    [InlineData("1.00:00:00", "00:00:00.2", "00:00:05", true)]
    [InlineData("1.00:00:00.0000001", "00:00:00.2", "00:00:05", false)]
    [InlineData("00:01:00", "00:00:00.001", "1.00:00:00", true)]
    [InlineData("00:01:00", "00:00:00.2", "1.00:00:00.0000001", false)]
    [InlineData("00:01:00", "1.00:00:00", "1.00:00:00", true)]
    public void Create_BuildsForEveryValueTheValidatorAccepts(string timeout, string retryDelay, string maxRetryDelay, bool expectValid)
    {
        var options = new RabbitHaOptions();
        options.Startup.Timeout = TimeSpan.Parse(timeout, CultureInfo.InvariantCulture);
        options.Startup.RetryDelay = TimeSpan.Parse(retryDelay, CultureInfo.InvariantCulture);
        options.Startup.MaxRetryDelay = TimeSpan.Parse(maxRetryDelay, CultureInfo.InvariantCulture);
        bool valid = new RabbitHaOptionsValidator().Validate(null, options).Succeeded;

        Exception? refusal = Record.Exception(() => StartupRetryPipeline.Create(options.Startup));

        // Polly checks its timeout's range when the pipeline is built, at the first connect: validation must refuse first.
        // (The delays are not Polly's: its retry takes them from JitteredBackoff, which any validated pair suits.)
        Assert.Equal(expectValid, valid);
        Assert.True(!valid || refusal is null, refusal?.ToString());
        Assert.True(refusal is null or ValidationException, refusal?.ToString());
    }

    [Fact]
    public async Task ExecuteAsync_WhenCancelled_StopsRetryingPromptly()
    {
        var options = new RabbitHaStartupOptions { Timeout = TimeSpan.FromMinutes(1), RetryDelay = TimeSpan.FromMilliseconds(50), MaxRetryDelay = TimeSpan.FromMilliseconds(200) };
        ResiliencePipeline pipeline = StartupRetryPipeline.Create(options);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var stopwatch = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pipeline.ExecuteAsync(
            _ => throw new SocketException((int)SocketError.ConnectionRefused), cts.Token));

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task ExecuteAsync_DelaysStayWithinMaxDelay()
    {
        var delays = new ConcurrentQueue<TimeSpan>();
        var options = new RabbitHaStartupOptions { Timeout = TimeSpan.FromSeconds(2), RetryDelay = TimeSpan.FromMilliseconds(10), MaxRetryDelay = TimeSpan.FromMilliseconds(80) };
        ResiliencePipeline pipeline = StartupRetryPipeline.Create(options, args =>
        {
            delays.Enqueue(args.RetryDelay);
            return default;
        });

        await Assert.ThrowsAsync<TimeoutRejectedException>(async () => await pipeline.ExecuteAsync(
            _ => throw new TimeoutException("connect timed out")));

        Assert.True(delays.Count >= 5, $"expected many retries, saw {delays.Count}");
        Assert.All(delays, d => Assert.InRange(d, TimeSpan.Zero, options.MaxRetryDelay));
    }

    [Fact]
    public void Create_WhenOptionsNull_ThrowsArgumentNullExceptionNamingOptions()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => StartupRetryPipeline.Create(null!));

        Assert.Equal("options", ex.ParamName);
    }
}
