using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitHa.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers RabbitHa in a service collection.</summary>
public static class RabbitHaServiceCollectionExtensions
{
    /// <summary>
    /// Registers the RabbitHa connections (<see cref="IRabbitHaConnection"/>: the main one for topology and consumers,
    /// and the publishing one, keyed <see cref="RabbitHaServiceKeys.PublisherConnection"/>), their options, the hosted
    /// service that connects at start-up, the <c>"rabbitha"</c> health check and the <c>"RabbitHa.Client"</c> meter,
    /// configured in code.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; applied after any earlier configuration.</param>
    /// <returns>A builder for further RabbitHa setup.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is <see langword="null"/>.</exception>
    /// <remarks>Safe to call more than once: services are registered once, each call's configuration is applied in order.</remarks>
    public static IRabbitHaBuilder AddRabbitHa(this IServiceCollection services, Action<RabbitHaOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        AddCoreServices(services, RabbitHaOptions.SectionName);
        services.Configure(configure);
        return new RabbitHaBuilder(services);
    }

    /// <summary>
    /// Registers the RabbitHa connections (<see cref="IRabbitHaConnection"/>: the main one for topology and consumers,
    /// and the publishing one, keyed <see cref="RabbitHaServiceKeys.PublisherConnection"/>), their options, the hosted
    /// service that connects at start-up, the <c>"rabbitha"</c> health check and the <c>"RabbitHa.Client"</c> meter,
    /// configured from a configuration section, usually <c>configuration.GetSection("RabbitHa")</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section to bind <see cref="RabbitHaOptions"/> from; validation messages name options by its path.</param>
    /// <returns>A builder for further RabbitHa setup.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configuration"/> is <see langword="null"/>.</exception>
    /// <remarks>Safe to call more than once: services are registered once and a section is bound once.</remarks>
    public static IRabbitHaBuilder AddRabbitHa(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        string path = configuration is IConfigurationSection section ? section.Path : RabbitHaOptions.SectionName;
        RabbitHaRegistration registration = AddCoreServices(services, path);
        if (registration.BoundSections.Add(path))
        {
            services.AddOptions<RabbitHaOptions>().Bind(configuration);
        }

        return new RabbitHaBuilder(services);
    }

    private static RabbitHaRegistration AddCoreServices(IServiceCollection services, string sectionPath)
    {
        if (services.FirstOrDefault(static d => d.ServiceType == typeof(RabbitHaRegistration))?.ImplementationInstance
            is RabbitHaRegistration existing)
        {
            return existing;
        }

        var registration = new RabbitHaRegistration();
        services.AddSingleton(registration);

        services.AddOptions<RabbitHaOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RabbitHaOptions>>(new RabbitHaOptionsValidator(sectionPath)));

        services.TryAddSingleton(static sp => new RabbitHaMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton(static sp => new RabbitHaConnection(
            sp.GetRequiredService<IOptions<RabbitHaOptions>>(),
            sp.GetRequiredService<RabbitHaMetrics>(),
            sp.GetService<ILogger<RabbitHaConnection>>()));
        services.TryAddSingleton<IRabbitHaConnection>(static sp => sp.GetRequiredService<RabbitHaConnection>());

        // The publishing connection: created with the main one, opened only when a publisher or a consumer needs it.
        services.TryAddKeyedSingleton(RabbitHaServiceKeys.PublisherConnection, static (sp, _) => new RabbitHaConnection(
            sp.GetRequiredService<IOptions<RabbitHaOptions>>(),
            sp.GetRequiredService<RabbitHaMetrics>(),
            sp.GetService<ILogger<RabbitHaConnection>>(),
            purpose: ConnectionPurpose.Publishing));
        services.TryAddKeyedSingleton<IRabbitHaConnection>(RabbitHaServiceKeys.PublisherConnection,
            static (sp, key) => sp.GetRequiredKeyedService<RabbitHaConnection>(key));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RabbitHaHostedService>());

        // The consumers the hosted service starts, for the health check; empty without AddConsumer.
        services.TryAddSingleton<ConsumerRegistry>();

        // Guarded by the registration marker above: health check names must be unique, so this runs once.
        services.AddHealthChecks().AddCheck<RabbitHaHealthCheck>(RabbitHaDiagnostics.HealthCheckName, tags: ["rabbitmq"]);
        return registration;
    }
}
