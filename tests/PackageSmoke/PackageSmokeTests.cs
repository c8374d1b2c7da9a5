using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitHa.Client;
using RabbitHa.Testing;
using RabbitHa.Testing.Xunit;
using Xunit;

namespace PackageSmoke;

// README's "A first test", as written there: the packages as a user gets them (restored from artifacts/packages by
// eng/package-smoke.sh), the fixture's cluster, one AddRabbitHa() that publishes and consumes, the publisher's node
// killed while orders flow, every confirmed order handled.
public sealed record OrderPlaced(int Id, string Item);

public sealed class Handled
{
    public ConcurrentDictionary<int, int> Orders { get; } = new();
}

public sealed class OrderHandler(Handled handled) : IRabbitHaHandler<OrderPlaced>
{
    public Task HandleAsync(OrderPlaced order, RabbitHaMessageContext context, CancellationToken cancellationToken)
    {
        handled.Orders.AddOrUpdate(order.Id, 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }
}

public sealed class OrderTests(RabbitHaClusterFixture fixture) : IClassFixture<RabbitHaClusterFixture>
{
    [DockerFact] // skipped, with the reason, where no Docker engine answers
    public async Task Orders_WhenThePublishersNodeIsKilled_AreAllHandled()
    {
        var handled = new Handled();
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton(handled);
        builder.Services
            .AddRabbitHa(o =>
            {
                o.Uri = fixture.Cluster.AmqpUri.ToString(); // HAProxy, with the cluster's generated credentials
                o.ClientProvidedName = "orders-api";
            })
            .AddTopology(t => t.Queues.Add(new RabbitHaQueueDefinition { Name = "orders", Type = RabbitHaQueueType.Quorum }))
            .AddPublisher()
            .AddConsumer<OrderHandler>("orders");
        using IHost host = builder.Build();
        await host.StartAsync();
        IRabbitHaPublisher publisher = host.Services.GetRequiredService<IRabbitHaPublisher>();

        // The publishing connection is "<ClientProvidedName>.publisher"; the lookup waits until the broker lists it.
        IRabbitHaClusterNode? node = await fixture.Cluster.FindConnectionNodeAsync("orders-api.publisher");
        Assert.NotNull(node);

        var publishes = new List<Task>();
        for (int id = 1; id <= 1_000; id++)
        {
            publishes.Add(publisher.PublishAsync(exchange: "", routingKey: "orders", new OrderPlaced(id, "coffee")));
            if (id == 500)
            {
                await node.KillAsync(); // SIGKILL; the publishes in flight are sent again
            }
        }

        await Task.WhenAll(publishes); // every one confirmed: a failover is a pause, not an exception
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); handled.Orders.Count < 1_000 && waited.Elapsed < TimeSpan.FromSeconds(60);)
        {
            await Task.Delay(100);
        }

        Assert.Equal(1_000, handled.Orders.Count); // at least once: a re-sent order may be handled twice
        await node.StartAsync();
        await host.StopAsync();
    }
}
