using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitHa.Client;
using RabbitHa.Testing.Xunit;
using Xunit;

namespace PackageSmoke;

public sealed record Greeting(string Text);

public sealed class GreetingHandler(TaskCompletionSource<Greeting> received) : IRabbitHaHandler<Greeting>
{
    public Task HandleAsync(Greeting message, RabbitHaMessageContext context, CancellationToken cancellationToken)
    {
        received.TrySetResult(message);
        return Task.CompletedTask;
    }
}

/// <summary>The packages, restored from the local feed, used as the README shows: the fixture's cluster, AddRabbitHa, a publisher and a consumer.</summary>
public sealed class PackageSmokeTests(RabbitHaClusterFixture fixture) : IClassFixture<RabbitHaClusterFixture>
{
    [DockerFact]
    public async Task Packages_PublishAndConsumeOneMessageThroughTheCluster()
    {
        var received = new TaskCompletionSource<Greeting>(TaskCreationOptions.RunContinuationsAsynchronously);
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton(received);
        builder.Services
            .AddRabbitHa(o =>
            {
                o.Uri = fixture.Cluster.AmqpUri.ToString();
                o.ClientProvidedName = "package-smoke";
            })
            .AddTopology(t => t.Queues.Add(new QueueDefinition { Name = "package-smoke" }))
            .AddPublisher()
            .AddConsumer<GreetingHandler>("package-smoke", o => o.DeduplicateByMessageId = true);
        using IHost host = builder.Build();
        await host.StartAsync();

        await host.Services.GetRequiredService<IRabbitHaPublisher>().PublishAsync(string.Empty, "package-smoke", new Greeting("hello from the packages"));
        Greeting greeting = await received.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("hello from the packages", greeting.Text);
        await host.StopAsync();
    }
}
