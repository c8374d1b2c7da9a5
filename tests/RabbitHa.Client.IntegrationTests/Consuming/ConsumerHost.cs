using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitHa.Client.Internal.DependencyInjection;
using RabbitHa.Testing;
using Xunit.Abstractions;

namespace RabbitHa.Client.IntegrationTests.Consuming;

/// <summary>An application process with one RabbitHa consumer: a generic host with its own connection, named so that a test can find its node.</summary>
internal static class ConsumerHost
{
    public static IHost Build(
        IRabbitHaCluster cluster,
        ITestOutputHelper output,
        string name,
        string queue,
        DeliveryLog log,
        HandlerBehavior? behavior = null,
        Action<RabbitHaConsumerOptions>? configure = null,
        IRabbitHaDeduplicationStore? store = null,
        bool typed = false,
        RecordingLoggerProvider? logs = null)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());

        // A recording provider writes to the test's output too.
        builder.Logging.AddProvider(logs ?? (ILoggerProvider)new XunitLoggerProvider(output));
        builder.Services.AddSingleton(log);
        builder.Services.AddSingleton(new ConsumerIdentity(name));
        builder.Services.AddSingleton(behavior ?? new HandlerBehavior());
        if (store is not null)
        {
            builder.Services.AddSingleton(store);
        }

        IRabbitHaBuilder rabbit = builder.Services.AddRabbitHa(o =>
        {
            o.Uri = cluster.AmqpUri.ToString();
            o.ClientProvidedName = name;
        });
        if (typed)
        {
            rabbit.AddConsumer<OrderHandler>(queue, configure);
        }
        else
        {
            rabbit.AddConsumer<RecordingHandler>(queue, configure);
        }

        return builder.Build();
    }

    /// <summary>The host's consumer (the first), once the host has started.</summary>
    public static RabbitHaConsumer Consumer(this IHost host) =>
        host.Services.GetServices<IHostedService>().OfType<RabbitHaHostedService>().Single().Consumers[0];

    public static Task WaitUntilSubscribedAsync(this IHost host, TimeSpan? timeout = null) =>
        Eventually.HoldsAsync(() => Task.FromResult(host.Consumer().IsSubscribed), timeout ?? TimeSpan.FromSeconds(30), "the consumer is subscribed");
}
