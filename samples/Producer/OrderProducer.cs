using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitHa.Client;

namespace RabbitHa.Samples.Producer;

/// <summary>
/// Publishes orders at a steady rate. Each publish returns once the cluster confirmed the order (stored on every
/// mirror); across a node failure it only takes longer. The publishes are not awaited one by one, so that a
/// failover pause does not hold the clock back: the publisher's window bounds how many are in flight.
/// </summary>
internal sealed partial class OrderProducer(IRabbitHaPublisher publisher, IOptions<ProducerOptions> options, ILogger<OrderProducer> logger)
    : BackgroundService
{
    private static readonly string[] Products = ["coffee", "tea", "croissant", "bagel", "juice"];
    private int _published;
    private int _confirmed;
    private int _failed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        ProducerOptions settings = options.Value;
        LogStarting(logger, settings.MessagesPerSecond, settings.Queue);
        using var report = new PeriodicTimer(TimeSpan.FromSeconds(1));
        Task reporting = ReportAsync(report, stoppingToken);

        var inFlight = new List<Task>();
        using var tick = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / Math.Max(1, settings.MessagesPerSecond)));
        try
        {
            while (await tick.WaitForNextTickAsync(stoppingToken))
            {
                int number = Interlocked.Increment(ref _published);
                var order = new OrderPlaced(number, Products[number % Products.Length], 1 + (number % 3), DateTimeOffset.UtcNow);
                inFlight.Add(PublishAsync(settings.Queue, order, stoppingToken));
                inFlight.RemoveAll(static t => t.IsCompleted);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        // Ctrl+C: no new orders; those already published have had their chance to be confirmed.
        await Task.WhenAll(inFlight);
        await reporting;
        LogStopped(logger, _published, _confirmed, _failed);
    }

    private async Task PublishAsync(string queue, OrderPlaced order, CancellationToken cancellationToken)
    {
        try
        {
            await publisher.PublishAsync(string.Empty, queue, order, cancellationToken: cancellationToken);
            Interlocked.Increment(ref _confirmed);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: this order may or may not have reached the broker; it was not confirmed to us.
        }
        catch (RabbitHaPublishException ex)
        {
            Interlocked.Increment(ref _failed);
            LogNotConfirmed(logger, order.Number, ex.Reason, ex.Message);
        }
    }

    private async Task ReportAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                LogProgress(logger, Volatile.Read(ref _published), Volatile.Read(ref _confirmed), Volatile.Read(ref _failed));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Publishing {Rate} orders a second to queue '{Queue}'. Ctrl+C stops.")]
    private static partial void LogStarting(ILogger logger, int rate, string queue);

    [LoggerMessage(2, LogLevel.Information, "published {Published}, confirmed {Confirmed}, failed {Failed}")]
    private static partial void LogProgress(ILogger logger, int published, int confirmed, int failed);

    [LoggerMessage(3, LogLevel.Warning, "Order {Number} was not confirmed ({Reason}): {Message}")]
    private static partial void LogNotConfirmed(ILogger logger, int number, RabbitHaPublishFailureReason reason, string message);

    [LoggerMessage(4, LogLevel.Information, "Stopped: published {Published}, confirmed {Confirmed}, failed {Failed}.")]
    private static partial void LogStopped(ILogger logger, int published, int confirmed, int failed);
}
