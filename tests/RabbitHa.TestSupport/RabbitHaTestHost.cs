using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitHa.Client;

namespace RabbitHa.TestSupport;

/// <summary>
/// A RabbitHa application against a test cluster: one <c>AddRabbitHa</c> with the cluster's URI (which carries its
/// credentials) and a connection name, logging to the given provider only.
/// </summary>
public static class RabbitHaTestHost
{
    /// <summary>
    /// Builds a generic host without defaults (no configuration files, no console logging). <paramref name="services"/>
    /// runs before <c>AddRabbitHa</c>, so that what it registers (a deduplication store) wins over the library's defaults.
    /// </summary>
    public static IHost Build(
        Uri amqpUri,
        string? clientProvidedName,
        ILoggerProvider? logs,
        Action<IRabbitHaBuilder>? rabbitHa = null,
        Action<RabbitHaOptions>? options = null,
        Action<IServiceCollection>? services = null)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        services?.Invoke(builder.Services);
        rabbitHa?.Invoke(AddRabbitHa(builder.Services, amqpUri, clientProvidedName, options));
        return builder.Build();
    }

    /// <summary>The same application without a host, for a test that connects and disposes it itself.</summary>
    public static ServiceProvider BuildServices(
        Uri amqpUri,
        string? clientProvidedName,
        ILoggerProvider? logs,
        Action<IRabbitHaBuilder>? rabbitHa = null,
        Action<RabbitHaOptions>? options = null,
        Action<IServiceCollection>? services = null)
    {
        IServiceCollection collection = new ServiceCollection().AddLogging(logging =>
        {
            if (logs is not null)
            {
                logging.AddProvider(logs);
            }
        });
        services?.Invoke(collection);
        rabbitHa?.Invoke(AddRabbitHa(collection, amqpUri, clientProvidedName, options));
        return collection.BuildServiceProvider();
    }

    private static IRabbitHaBuilder AddRabbitHa(IServiceCollection services, Uri amqpUri, string? clientProvidedName, Action<RabbitHaOptions>? options)
    {
        ArgumentNullException.ThrowIfNull(amqpUri);
        return services.AddRabbitHa(o =>
        {
            o.Uri = amqpUri.ToString();
            o.ClientProvidedName = clientProvidedName;
            options?.Invoke(o);
        });
    }
}
