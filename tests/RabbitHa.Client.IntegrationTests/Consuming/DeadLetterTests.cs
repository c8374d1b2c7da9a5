using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitHa.Testing;
using RabbitHa.Testing.Xunit;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Client.IntegrationTests.Consuming;

/// <summary>
/// The consumer's own dead-letter queue on a healthy cluster: a message given up on is copied, confirmed, to
/// <c>{queue}.dead-letter</c> with headers saying why, before the original is acknowledged; none is dropped unless
/// <see cref="RabbitHaDeadLetterStrategy.Discard"/> says so.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DeadLetterTests(RabbitHaClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    private IRabbitHaCluster Cluster => fixture.Cluster;

    [DockerFact]
    public async Task HandlerAlwaysThrows_EveryMessageEndsInTheDeadLetterQueue_AfterMaxDeliveryAttempts_WithReasonHeaders()
    {
        const int total = 100;
        await using TestQueue testQueue = await TestQueue.DeclareAsync(Cluster.AmqpUri, "dead-letter-always-fails");
        string queue = testQueue.Name;
        string deadLetterQueue = testQueue.Companion(".dead-letter");
        var log = new DeliveryLog();
        var behavior = new HandlerBehavior { BeforeHandled = (context, _) => throw new InvalidOperationException($"cannot handle {context.MessageId}") };
        using IHost host = ConsumerHost.Build(Cluster, output, "consumer-" + queue, queue, log, behavior, o =>
        {
            o.MaxDeliveryAttempts = 3;
            o.RequeueDelay = TimeSpan.FromMilliseconds(20);
            o.PrefetchCount = 16;
            o.Concurrency = 8;
        });
        await host.StartAsync();
        try
        {
            await TestProducer.RunOnceAsync(Cluster.AmqpUri, queue, output, total);

            await WaitDeadLetteredAsync(deadLetterQueue, total);
            await Eventually.HoldsAsync(async () => await TestAmqp.MessageCountAsync(Cluster.AmqpUri, queue) == 0, s_timeout, $"{queue} is empty");
            List<BasicGetResult> deadLettered = await StopAndDrainEveryMessageAsync(host, deadLetterQueue, total);

            Assert.All(deadLettered, message =>
            {
                IDictionary<string, object?>? headers = message.BasicProperties.Headers;
                Assert.Equal("handler-failed", Text(headers, RabbitHaHeaders.DeadLetterReason));
                Assert.Equal(typeof(InvalidOperationException).FullName, Text(headers, RabbitHaHeaders.ExceptionType));
                Assert.Equal($"cannot handle {message.BasicProperties.MessageId}", Text(headers, RabbitHaHeaders.ExceptionMessage));
                Assert.Equal(3, Number(headers, RabbitHaHeaders.Attempts));
                Assert.Equal(queue, Text(headers, RabbitHaHeaders.Consumer));
                Assert.Equal(queue, Text(headers, RabbitHaHeaders.SourceQueue));
                Assert.Equal(string.Empty, Text(headers, RabbitHaHeaders.OriginalExchange));
                Assert.Equal(queue, Text(headers, RabbitHaHeaders.OriginalRoutingKey));
                Assert.True(DateTimeOffset.TryParse(Text(headers, RabbitHaHeaders.DeadLetteredAt), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _));
                Assert.Equal(message.BasicProperties.MessageId, Encoding.UTF8.GetString(message.Body.Span));
                Assert.Equal(DeliveryModes.Persistent, message.BasicProperties.DeliveryMode);
            });
            Assert.All(Enumerable.Range(1, total).Select(TestProducer.Id), id => Assert.Equal(3, log.AttemptsOf(id)));
            Assert.Equal(0, log.HandledCount);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [DockerFact]
    public async Task BodiesThatCannotBeDeserialized_AreDeadLetteredAtOnce_AsDeserializationFailed()
    {
        const int total = 20;
        await using TestQueue testQueue = await TestQueue.DeclareAsync(Cluster.AmqpUri, "dead-letter-undeserializable");
        string queue = testQueue.Name;
        string deadLetterQueue = testQueue.Companion(".dead-letter");
        var log = new DeliveryLog();
        using IHost host = ConsumerHost.Build(Cluster, output, "consumer-" + queue, queue, log, typed: true);
        await host.StartAsync();
        try
        {
            for (int n = 1; n <= total; n++)
            {
                await TestAmqp.PublishOnceAsync(Cluster.AmqpUri, queue, TestProducer.Id(n), $"not JSON {n}");
            }

            await WaitDeadLetteredAsync(deadLetterQueue, total);
            List<BasicGetResult> deadLettered = await StopAndDrainEveryMessageAsync(host, deadLetterQueue, total);

            Assert.All(deadLettered, message =>
            {
                Assert.Equal("deserialization-failed", Text(message.BasicProperties.Headers, RabbitHaHeaders.DeadLetterReason));
                Assert.Equal(1, Number(message.BasicProperties.Headers, RabbitHaHeaders.Attempts));
                Assert.StartsWith("not JSON ", Encoding.UTF8.GetString(message.Body.Span), StringComparison.Ordinal);
            });
            Assert.Equal(0, log.HandledCount);
            Assert.Equal(0u, await TestAmqp.MessageCountAsync(Cluster.AmqpUri, queue));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [DockerFact]
    public async Task HandlerWhoseConstructorThrows_MessagesAreDeadLettered_AsHandlerUnavailable()
    {
        const int total = 10;
        await using TestQueue testQueue = await TestQueue.DeclareAsync(Cluster.AmqpUri, "dead-letter-no-handler");
        string queue = testQueue.Name;
        string deadLetterQueue = testQueue.Companion(".dead-letter");
        using IHost host = BuildHost<UnconstructibleHandler>(queue, o =>
        {
            o.MaxDeliveryAttempts = 2;
            o.RequeueDelay = TimeSpan.FromMilliseconds(20);
        });
        await host.StartAsync();
        try
        {
            await TestProducer.RunOnceAsync(Cluster.AmqpUri, queue, output, total);

            await WaitDeadLetteredAsync(deadLetterQueue, total);
            List<BasicGetResult> deadLettered = await StopAndDrainEveryMessageAsync(host, deadLetterQueue, total);

            Assert.All(deadLettered, message =>
            {
                Assert.Equal("handler-unavailable", Text(message.BasicProperties.Headers, RabbitHaHeaders.DeadLetterReason));
                Assert.Equal(typeof(InvalidOperationException).FullName, Text(message.BasicProperties.Headers, RabbitHaHeaders.ExceptionType));
                Assert.Contains(UnconstructibleHandler.Failure, Text(message.BasicProperties.Headers, RabbitHaHeaders.ExceptionMessage), StringComparison.Ordinal);
                Assert.Equal(2, Number(message.BasicProperties.Headers, RabbitHaHeaders.Attempts));
            });
            Assert.Equal(0u, await TestAmqp.MessageCountAsync(Cluster.AmqpUri, queue));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [DockerFact]
    public async Task DiscardStrategy_DropsEveryMessage_WithOneWarningEach_AndNoDeadLetterQueue()
    {
        const int total = 10;
        await using TestQueue testQueue = await TestQueue.DeclareAsync(Cluster.AmqpUri, "dead-letter-discard");
        string queue = testQueue.Name;
        string deadLetterQueue = testQueue.Companion(".dead-letter");
        using var logs = new RecordingLoggerProvider(output);
        var log = new DeliveryLog();
        var behavior = new HandlerBehavior { BeforeHandled = (_, _) => throw new InvalidOperationException("always fails") };
        using IHost host = BuildHost<RecordingHandler>(queue, o =>
        {
            o.FailureAction = RabbitHaFailureAction.DeadLetter;
            o.DeadLetterStrategy = RabbitHaDeadLetterStrategy.Discard;
        }, logs, services => services.AddSingleton(log).AddSingleton(new ConsumerIdentity("consumer-" + queue)).AddSingleton(behavior));
        await host.StartAsync();
        try
        {
            await TestProducer.RunOnceAsync(Cluster.AmqpUri, queue, output, total);

            await Eventually.HoldsAsync(() => Task.FromResult(logs.Count("MessageDiscarded") >= total), s_timeout, $"{total} messages discarded");
            await Eventually.HoldsAsync(async () => await TestAmqp.MessageCountAsync(Cluster.AmqpUri, queue) == 0, s_timeout, $"{queue} is empty");
            await host.StopAsync();

            IReadOnlyList<RecordingLoggerProvider.Entry> discarded = logs.Entries("MessageDiscarded");
            Assert.Equal(total, discarded.Count);
            Assert.All(discarded, entry => Assert.Equal(LogLevel.Warning, entry.Level));
            Assert.All(Enumerable.Range(1, total).Select(TestProducer.Id), id => Assert.Single(discarded, entry =>
                entry.Message.Contains($"discarded message '{id}' from queue '{queue}'", StringComparison.Ordinal)
                && entry.Message.Contains("(handler-failed)", StringComparison.Ordinal)));
            Assert.Equal(0u, await TestAmqp.MessageCountAsync(Cluster.AmqpUri, queue));
            Assert.Equal(0u, await MessageCountOrZeroAsync(deadLetterQueue));
            Assert.All(Enumerable.Range(1, total).Select(TestProducer.Id), id => Assert.Equal(1, log.AttemptsOf(id)));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    /// <summary>A host with one consumer of <typeparamref name="THandler"/>, for handlers <see cref="ConsumerHost"/> does not know.</summary>
    private IHost BuildHost<THandler>(string queue, Action<RabbitHaConsumerOptions> configure, ILoggerProvider? logs = null, Action<IServiceCollection>? services = null)
        where THandler : class, IRabbitHaHandler<ReadOnlyMemory<byte>> =>
        RabbitHaTestHost.Build(
            Cluster.AmqpUri,
            "consumer-" + queue,
            logs ?? new XunitLoggerProvider(output),
            rabbitHa => rabbitHa.AddConsumer<THandler, ReadOnlyMemory<byte>>(queue, configure),
            services: services);

    private Task<TimeSpan> WaitDeadLetteredAsync(string deadLetterQueue, int total) =>
        Eventually.HoldsAsync(async () => await TestAmqp.MessageCountAsync(Cluster.AmqpUri, deadLetterQueue) >= total, s_timeout, $"{total} messages in {deadLetterQueue}");

    /// <summary>Stops the host, takes every message out of <paramref name="deadLetterQueue"/>, and checks that they are messages 1 to <paramref name="total"/>, each once.</summary>
    private async Task<List<BasicGetResult>> StopAndDrainEveryMessageAsync(IHost host, string deadLetterQueue, int total)
    {
        await host.StopAsync();
        List<BasicGetResult> deadLettered = await TestAmqp.DrainAsync(Cluster.AmqpUri, deadLetterQueue);
        Assert.Equal(Enumerable.Range(1, total).Select(TestProducer.Id), deadLettered.Select(m => m.BasicProperties.MessageId!).Order(StringComparer.Ordinal));
        return deadLettered;
    }

    /// <summary>A queue's depth, or zero when it does not exist (the passive declaration's 404).</summary>
    private async Task<uint> MessageCountOrZeroAsync(string queue)
    {
        try
        {
            return await TestAmqp.MessageCountAsync(Cluster.AmqpUri, queue);
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == Constants.NotFound)
        {
            return 0;
        }
    }

    private static string? Text(IDictionary<string, object?>? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out object? value)
            ? value switch
            {
                byte[] bytes => Encoding.UTF8.GetString(bytes),
                string text => text,
                _ => value?.ToString(),
            }
            : null;

    private static long? Number(IDictionary<string, object?>? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out object? value) && value is not null
            ? Convert.ToInt64(value, CultureInfo.InvariantCulture)
            : null;

    /// <summary>A handler that dependency injection cannot create: its constructor throws, as with a missing connection string.</summary>
    private sealed class UnconstructibleHandler : IRabbitHaHandler<ReadOnlyMemory<byte>>
    {
        public const string Failure = "no connection string for the orders database";

        public UnconstructibleHandler() => throw new InvalidOperationException(Failure);

        public Task HandleAsync(ReadOnlyMemory<byte> message, RabbitHaMessageContext context, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
