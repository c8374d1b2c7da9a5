using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RabbitHa.Client;

namespace RabbitHa.TestSupport;

/// <summary>
/// A publishing RabbitHa application against a test cluster, connected: one queue in its topology, <c>AddPublisher</c>,
/// the main connection and the publisher's own connection both open before the test publishes.
/// </summary>
public sealed class PublishingTestApp : IAsyncDisposable
{
    private PublishingTestApp(ServiceProvider services)
    {
        Services = services;
        Connection = services.GetRequiredService<IRabbitHaConnection>();
        PublisherConnection = services.GetRequiredKeyedService<IRabbitHaConnection>(RabbitHaServiceKeys.PublisherConnection);
        Publisher = services.GetRequiredService<IRabbitHaPublisher>();
    }

    /// <summary>Gets the application's services.</summary>
    public ServiceProvider Services { get; }

    /// <summary>Gets the main connection (topology, consumers).</summary>
    public IRabbitHaConnection Connection { get; }

    /// <summary>Gets the publisher's own connection.</summary>
    public IRabbitHaConnection PublisherConnection { get; }

    /// <summary>Gets the publisher.</summary>
    public IRabbitHaPublisher Publisher { get; }

    /// <summary>
    /// Builds the application (see <see cref="RabbitHaTestHost.BuildServices"/>) with <paramref name="queue"/> in its
    /// topology and a publisher configured by <paramref name="publisher"/>, and opens both connections.
    /// </summary>
    public static async Task<PublishingTestApp> ConnectAsync(
        Uri amqpUri, string? clientProvidedName, ILoggerProvider logs, string queue, Action<RabbitHaPublisherOptions>? publisher = null)
    {
        ServiceProvider services = RabbitHaTestHost.BuildServices(
            amqpUri,
            clientProvidedName,
            logs,
            rabbitHa => rabbitHa.AddTopology(t => t.Queues.Add(new RabbitHaQueueDefinition { Name = queue })).AddPublisher(publisher));
        var app = new PublishingTestApp(services);
        try
        {
            await app.Connection.ConnectAsync();
            await app.PublisherConnection.ConnectAsync();
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => Services.DisposeAsync();
}
