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
        return RabbitHaTestHost.Build(
            cluster.AmqpUri,
            name,
            // A recording provider writes to the test's output too.
            logs ?? (ILoggerProvider)new XunitLoggerProvider(output),
            rabbit =>
            {
                if (typed)
                {
                    rabbit.AddConsumer<OrderHandler>(queue, configure);
                }
                else
                {
                    rabbit.AddConsumer<RecordingHandler>(queue, configure);
                }
            },
            services: services =>
            {
                services.AddSingleton(log);
                services.AddSingleton(new ConsumerIdentity(name));
                services.AddSingleton(behavior ?? new HandlerBehavior());
                if (store is not null)
                {
                    services.AddSingleton(store);
                }
            });
    }

    /// <summary>The host's consumer (the first), once the host has started.</summary>
    public static RabbitHaConsumer Consumer(this IHost host) =>
        host.Services.GetServices<IHostedService>().OfType<RabbitHaHostedService>().Single().Consumers[0];

    public static Task WaitUntilSubscribedAsync(this IHost host, TimeSpan? timeout = null) =>
        Eventually.HoldsAsync(() => Task.FromResult(host.Consumer().IsSubscribed), timeout ?? TimeSpan.FromSeconds(30), "the consumer is subscribed");
}
