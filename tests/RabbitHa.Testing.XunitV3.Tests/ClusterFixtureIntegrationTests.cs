using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitHa.Client;
using RabbitHa.TestSupport;
using Xunit;

namespace RabbitHa.Testing.XunitV3.Tests;

public sealed record Greeting(int Id, string Text);

public sealed class Greetings
{
    public TaskCompletionSource<Greeting> Handled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

public sealed class GreetingHandler(Greetings greetings) : IRabbitHaHandler<Greeting>
{
    public Task HandleAsync(Greeting message, RabbitHaMessageContext context, CancellationToken cancellationToken)
    {
        greetings.Handled.TrySetResult(message);
        return Task.CompletedTask;
    }
}

/// <summary>
/// The v3 fixture as a class fixture against the real cluster: one application publishes through HAProxy with
/// RabbitHa.Client and consumes what it published. A plain [Fact]: without Docker, reading Cluster skips it, with the reason.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ClusterFixtureIntegrationTests(RabbitHaClusterFixture fixture) : IClassFixture<RabbitHaClusterFixture>
{
    [Fact]
    public async Task PublishAsync_ThroughTheFixturesCluster_IsHandledByTheConsumer()
    {
        CancellationToken cancellationToken = TestContext.Current.CancellationToken;
        Uri amqp = fixture.Cluster.AmqpUri; // HAProxy, with the cluster's generated credentials
        const string queue = "xunit-v3.greetings";
        var greetings = new Greetings();
        using IHost host = RabbitHaTestHost.Build(
            amqp,
            "xunit-v3-tests",
            logs: null,
            rabbitHa => rabbitHa
                .AddTopology(t => t.Queues.Add(new RabbitHaQueueDefinition { Name = queue, Type = RabbitHaQueueType.Quorum }))
                .AddPublisher()
                .AddConsumer<GreetingHandler>(queue),
            services: services => services.AddSingleton(greetings));
        await host.StartAsync(cancellationToken);
        try
        {
            IRabbitHaPublisher publisher = host.Services.GetRequiredService<IRabbitHaPublisher>();

            await publisher.PublishAsync(exchange: "", routingKey: queue, new Greeting(1, "hello from xUnit v3"), cancellationToken: cancellationToken);
            Greeting handled = await greetings.Handled.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);

            Assert.Equal(new Greeting(1, "hello from xUnit v3"), handled);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
