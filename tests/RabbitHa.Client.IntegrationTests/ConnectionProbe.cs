using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using RabbitMQ.Client;
using Xunit;

namespace RabbitHa.Client.IntegrationTests;

/// <summary>What the connection tests do through the connection to see that it works: topology, a routed message, health.</summary>
internal static class ConnectionProbe
{
    public const string RoutingKey = "key";

    /// <summary>Adds a direct exchange, a queue and the binding between them (routing key <see cref="RoutingKey"/>).</summary>
    public static void AddRoutedQueue(RabbitHaTopologyOptions topology, string exchange, string queue)
    {
        topology.Exchanges.Add(new RabbitHaExchangeDefinition { Name = exchange, Type = ExchangeType.Direct });
        topology.Queues.Add(new RabbitHaQueueDefinition { Name = queue });
        topology.Bindings.Add(new RabbitHaBindingDefinition { Exchange = exchange, Queue = queue, RoutingKey = RoutingKey });
    }

    /// <summary>Publishes through the exchange (mandatory, confirmed) on a new channel and gets the message back from the queue.</summary>
    public static async Task PublishAndGetAsync(IRabbitHaConnection connection, string exchange, string queue, string routingKey = RoutingKey)
    {
        var body = Encoding.UTF8.GetBytes("routed " + Guid.NewGuid().ToString("N"));
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));

        // With confirm tracking, an unroutable mandatory message throws (PublishException): the route must exist.
        await channel.BasicPublishAsync(exchange, routingKey, mandatory: true, new BasicProperties(), body);
        var message = await channel.BasicGetAsync(queue, autoAck: true);

        Assert.NotNull(message);
        Assert.Equal(body, message.Body.ToArray());
    }

    public static async Task DeleteAsync(IRabbitHaConnection connection, string? exchange, string queue)
    {
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeleteAsync(queue);
        if (exchange is not null)
        {
            await channel.ExchangeDeleteAsync(exchange);
        }
    }

    /// <summary>Runs the <c>"rabbitha"</c> health check the way a health endpoint would, through <see cref="HealthCheckService"/>.</summary>
    public static async Task<HealthReportEntry> CheckHealthAsync(IServiceProvider services)
    {
        var report = await services.GetRequiredService<HealthCheckService>()
            .CheckHealthAsync(r => r.Name == RabbitHaDiagnostics.HealthCheckName);
        return report.Entries[RabbitHaDiagnostics.HealthCheckName];
    }
}
