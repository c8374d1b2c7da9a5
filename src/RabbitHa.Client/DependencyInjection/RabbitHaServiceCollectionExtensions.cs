using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitHa.Client;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Internal.Consuming;
using RabbitHa.Client.Internal.DependencyInjection;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Configuration;

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

    /// <summary>
    /// Registers RabbitHa as <see cref="AddRabbitHa(IServiceCollection, IConfiguration)"/> does, configured the way .NET Aspire's
    /// client integrations are: <see cref="RabbitHaOptions"/> bound from the section <c>"RabbitHa"</c> of the application's
    /// configuration, and <see cref="RabbitHaOptions.Uri"/> from its connection string <c>ConnectionStrings:&lt;connectionName&gt;</c>,
    /// an <c>amqp://</c> or <c>amqps://</c> URI such as an Aspire AppHost passes to the projects that reference a RabbitMQ resource.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The application's configuration (<c>builder.Configuration</c>), not a section of it.</param>
    /// <param name="connectionName">The name of the connection string: the RabbitMQ resource's name in an Aspire AppHost.</param>
    /// <param name="configure">Sets options in code, after the configuration: what it sets wins. Optional.</param>
    /// <returns>A builder for further RabbitHa setup.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/>, <paramref name="configuration"/> or <paramref name="connectionName"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="connectionName"/> is empty or white space.</exception>
    /// <remarks>
    /// <para>
    /// The endpoint, from strongest to weakest: a <see cref="RabbitHaOptions.Uri"/> set in code (<paramref name="configure"/>, or any
    /// configure action registered after this call), the connection string, <c>RabbitHa:Uri</c>, then <c>RabbitHa:Host</c> and
    /// <c>RabbitHa:Port</c>. The connection string wins over the section as in Aspire (its settings' <c>ConnectionString</c>
    /// yields to <c>ConnectionStrings:&lt;name&gt;</c>): it comes from whoever runs the application (the AppHost, an environment
    /// variable <c>ConnectionStrings__&lt;name&gt;</c>, a secret store), while the section is usually the defaults in appsettings.json.
    /// The other options (fallback endpoints, TLS, timeouts, topology) still come from the section.
    /// </para>
    /// <para>
    /// The connection string is read when the options are built; a missing or blank one is ignored. One that is not a valid
    /// <c>amqp://</c> or <c>amqps://</c> URI stops the host at start, naming <c>ConnectionStrings:&lt;connectionName&gt;</c> and
    /// quoting the value with its password hidden. Safe to call more than once, as the other overloads.
    /// </para>
    /// </remarks>
    public static IRabbitHaBuilder AddRabbitHa(
        this IServiceCollection services,
        IConfiguration configuration,
        string connectionName,
        Action<RabbitHaOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionName);

        IRabbitHaBuilder builder = services.AddRabbitHa(configuration.GetSection(RabbitHaOptions.SectionName));
        RabbitHaRegistration registration = AddCoreServices(services, RabbitHaOptions.SectionName);
        string path = ConnectionStringSource.PathOf(configuration, connectionName);
        if (registration.BoundSections.Add(path))
        {
            services.AddOptions<RabbitHaOptions>().Configure(o => ConnectionStringSource.Apply(o, configuration, connectionName, path));
        }

        if (configure is not null)
        {
            services.Configure(configure);
        }

        return builder;
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
