using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RabbitHa.Client.Internal.Consuming;

namespace RabbitHa.Client.Tests.Consuming;

[Trait("Category", "Unit")]
public sealed class RabbitHaConsumerOptionsValidatorTests
{
    private readonly RabbitHaConsumerOptionsValidator _validator = new();

    [Fact]
    public void Validate_Defaults_WithAQueue_Succeed()
    {
        Assert.True(_validator.Validate("orders", new RabbitHaConsumerOptions { Queue = "orders" }).Succeeded);
    }

    [Theory]
    [InlineData(nameof(RabbitHaConsumerOptions.PrefetchCount), 0, "Consumer 'orders': PrefetchCount must be between 1 and 65535 (was 0).")]
    [InlineData(nameof(RabbitHaConsumerOptions.PrefetchCount), 70000, "Consumer 'orders': PrefetchCount must be between 1 and 65535 (was 70000).")]
    [InlineData(nameof(RabbitHaConsumerOptions.Concurrency), 0, "Consumer 'orders': Concurrency must be at least 1 (was 0).")]
    [InlineData(nameof(RabbitHaConsumerOptions.Concurrency), 33, "Consumer 'orders': Concurrency must not exceed PrefetchCount (32) (was 33).")]
    [InlineData(nameof(RabbitHaConsumerOptions.MaxDeliveryAttempts), 0, "Consumer 'orders': MaxDeliveryAttempts must be at least 1 (was 0).")]
    [InlineData(nameof(RabbitHaConsumerOptions.FailureAction), 7, "Consumer 'orders': FailureAction must be Requeue or DeadLetter (was 7).")]
    public void Validate_BadNumber_NamesConsumerOptionAndValue(string option, int value, string expected)
    {
        var options = new RabbitHaConsumerOptions { Queue = "orders" };
        switch (option)
        {
            case nameof(RabbitHaConsumerOptions.PrefetchCount): options.PrefetchCount = value; break;
            case nameof(RabbitHaConsumerOptions.Concurrency): options.Concurrency = value; break;
            case nameof(RabbitHaConsumerOptions.MaxDeliveryAttempts): options.MaxDeliveryAttempts = value; break;
            default: options.FailureAction = (RabbitHaFailureAction)value; break;
        }

        ValidateOptionsResult result = _validator.Validate("orders", options);

        Assert.Equal([expected], result.Failures);
    }

    [Fact]
    public void Validate_BadDelays_NamesEachOne()
    {
        var options = new RabbitHaConsumerOptions
        {
            Queue = "orders",
            ResubscribeDelay = TimeSpan.Zero,
            MaxResubscribeDelay = TimeSpan.FromHours(2),
            StopTimeout = TimeSpan.FromSeconds(-1),
        };

        ValidateOptionsResult result = _validator.Validate("orders", options);

        Assert.Equal(
            [
                "Consumer 'orders': ResubscribeDelay must be positive (was 00:00:00).",
                "Consumer 'orders': MaxResubscribeDelay must be between ResubscribeDelay (00:00:00) and 01:00:00 (was 02:00:00).",
                "Consumer 'orders': StopTimeout must be between 00:00:00 and 1.00:00:00 (was -00:00:01).",
            ],
            result.Failures);
    }

    [Fact]
    public void Validate_BadTimeouts_NamesEachOneAndItsValue()
    {
        var options = new RabbitHaConsumerOptions
        {
            Queue = "orders",
            HandlerTimeout = TimeSpan.Zero,
            UnhealthyAfter = TimeSpan.FromDays(2),
            DeduplicationStoreTimeout = Timeout.InfiniteTimeSpan,
        };

        ValidateOptionsResult result = _validator.Validate("orders", options);

        Assert.Equal(
            [
                "Consumer 'orders': HandlerTimeout must be positive and at most 1.00:00:00, or Timeout.InfiniteTimeSpan (-00:00:00.0010000) for none (was 00:00:00).",
                "Consumer 'orders': UnhealthyAfter must be positive and at most 1.00:00:00, or Timeout.InfiniteTimeSpan (-00:00:00.0010000) to leave the consumer out of the health check (was 2.00:00:00).",
                "Consumer 'orders': DeduplicationStoreTimeout must be positive and at most 00:05:00 (was -00:00:00.0010000).",
            ],
            result.Failures);
    }

    [Fact]
    public void Validate_InfiniteHandlerTimeoutAndUnhealthyAfter_Succeed()
    {
        var options = new RabbitHaConsumerOptions { Queue = "orders", HandlerTimeout = Timeout.InfiniteTimeSpan, UnhealthyAfter = Timeout.InfiniteTimeSpan };

        Assert.True(_validator.Validate("orders", options).Succeeded);
    }

    [Fact]
    public void Defaults_HandlerTimeoutFiveMinutes_UnhealthyAfterThirtySeconds_StoreTimeoutFiveSeconds()
    {
        var options = new RabbitHaConsumerOptions();

        Assert.Equal((TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5)),
            (options.HandlerTimeout, options.UnhealthyAfter, options.DeduplicationStoreTimeout));
    }

    [Theory]
    [InlineData(-1, "Consumer 'orders': RequeueDelay must be between 00:00:00 and 00:01:00 (was -00:00:01).")]
    [InlineData(61, "Consumer 'orders': RequeueDelay must be between 00:00:00 and 00:01:00 (was 00:01:01).")]
    public void Validate_RequeueDelayOutOfRange_NamesConsumerOptionAndValue(int seconds, string expected)
    {
        ValidateOptionsResult result = _validator.Validate("orders", new RabbitHaConsumerOptions { Queue = "orders", RequeueDelay = TimeSpan.FromSeconds(seconds) });

        Assert.Equal([expected], result.Failures);
    }

    [Fact]
    public void Defaults_DeadLetterIntoAQueueNamedAfterTheConsumersQueue()
    {
        var options = new RabbitHaConsumerOptions { Queue = "orders" };

        Assert.Equal((RabbitHaDeadLetterStrategy.Queue, null, "orders.dead-letter"), (options.DeadLetterStrategy, options.DeadLetterQueue, options.EffectiveDeadLetterQueue));
        Assert.Equal("parked", new RabbitHaConsumerOptions { Queue = "orders", DeadLetterQueue = "parked" }.EffectiveDeadLetterQueue);
    }

    [Fact]
    public void Validate_UnknownDeadLetterStrategy_NamesConsumerOptionAndValue()
    {
        ValidateOptionsResult result = _validator.Validate("orders", new RabbitHaConsumerOptions { Queue = "orders", DeadLetterStrategy = (RabbitHaDeadLetterStrategy)7 });

        Assert.Equal(["Consumer 'orders': DeadLetterStrategy must be Queue, Broker or Discard (was 7)."], result.Failures);
    }

    [Theory]
    [InlineData("", "Consumer 'orders': DeadLetterQueue must not be empty; leave it unset for '<queue>.dead-letter' (was '').")]
    [InlineData("  ", "Consumer 'orders': DeadLetterQueue must not be empty; leave it unset for '<queue>.dead-letter' (was '  ').")]
    [InlineData("orders", "Consumer 'orders': DeadLetterQueue must differ from Queue (was 'orders').")]
    [InlineData("amq.parked", "Consumer 'orders': DeadLetterQueue must not start with 'amq.', which the broker reserves (was 'amq.parked').")]
    public void Validate_BadDeadLetterQueue_NamesConsumerOptionAndValue(string deadLetterQueue, string expected)
    {
        ValidateOptionsResult result = _validator.Validate("orders", new RabbitHaConsumerOptions { Queue = "orders", DeadLetterQueue = deadLetterQueue });

        Assert.Equal([expected], result.Failures);
    }

    [Fact]
    public void Validate_DeadLetterQueueLongerThan255Bytes_Fails()
    {
        ValidateOptionsResult result = _validator.Validate("orders", new RabbitHaConsumerOptions { Queue = "orders", DeadLetterQueue = new string('q', 256) });

        Assert.Equal(["Consumer 'orders': DeadLetterQueue must be at most 255 bytes of UTF-8 (was 256 bytes)."], result.Failures);
    }

    [Fact]
    public void Validate_QueueTooLongForTheDefaultDeadLetterQueue_AsksForOne_UnlessNoneIsNeeded()
    {
        string queue = new('q', 250);

        ValidateOptionsResult result = _validator.Validate("long", new RabbitHaConsumerOptions { Queue = queue });

        Assert.Equal(["Consumer 'long': DeadLetterQueue must be set: the default '<queue>.dead-letter' would be longer than 255 bytes of UTF-8 (was 262 bytes)."], result.Failures);
        Assert.True(_validator.Validate("long", new RabbitHaConsumerOptions { Queue = queue, DeadLetterQueue = "parked" }).Succeeded);
        Assert.True(_validator.Validate("long", new RabbitHaConsumerOptions { Queue = queue, DeadLetterStrategy = RabbitHaDeadLetterStrategy.Broker }).Succeeded);
    }

    [Fact]
    public async Task Create_WithOrWithoutAPublisherForItsCopies_CreatesTheConsumer()
    {
        var connection = new TestSupport.StubConnection();

        await using RabbitHaConsumer own = RabbitHaConsumer.Create(connection, new NoopHandler(), new RabbitHaConsumerOptions { Queue = "orders" });
        await using RabbitHaConsumer given = RabbitHaConsumer.Create(connection, new NoopHandler(), new RabbitHaConsumerOptions { Queue = "audit" }, deadLetterPublisher: new RecordingPublisher());

        Assert.Equal(("orders", "audit"), (own.Queue, given.Queue));
    }

    [Fact]
    public void Validate_MissingQueue_IsRequired()
    {
        ValidateOptionsResult result = _validator.Validate("orders", new RabbitHaConsumerOptions());

        Assert.Equal(["Consumer 'orders': Queue is required (was '')."], result.Failures);
    }

    [Fact]
    public void Validate_QueueNameLongerThan255Bytes_Fails()
    {
        ValidateOptionsResult result = _validator.Validate(null, new RabbitHaConsumerOptions { Queue = new string('é', 128) });

        Assert.Contains("Queue must be at most 255 bytes of UTF-8 (was 256 bytes).", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_WhenConsumerOptionsInvalid_FailsNamingTheConsumer()
    {
        using IHost host = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings()).Tap(b =>
            b.Services.AddRabbitHa(o => o.Host = "127.0.0.1").AddConsumer<NoopHandler>("orders", o => o.PrefetchCount = 0)).Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Consumer 'orders': PrefetchCount must be between 1 and 65535 (was 0).", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WhenOptionsInvalid_ThrowsArgumentExceptionForOptions()
    {
        var ex = Assert.Throws<ArgumentException>(() => RabbitHaConsumer.Create(
            new TestSupport.StubConnection(), new NoopHandler(), new RabbitHaConsumerOptions { Queue = "orders", MaxDeliveryAttempts = 0 }));

        Assert.Equal("options", ex.ParamName);
        Assert.Contains("MaxDeliveryAttempts must be at least 1 (was 0).", ex.Message, StringComparison.Ordinal);
    }
}

internal static class HostBuilderTestExtensions
{
    public static HostApplicationBuilder Tap(this HostApplicationBuilder builder, Action<HostApplicationBuilder> configure)
    {
        configure(builder);
        return builder;
    }
}

internal sealed class NoopHandler : IRabbitHaHandler<ReadOnlyMemory<byte>>
{
    public Task HandleAsync(ReadOnlyMemory<byte> message, RabbitHaMessageContext context, CancellationToken cancellationToken) => Task.CompletedTask;
}
