using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitHa.Client;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Internal.DependencyInjection;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Publishing;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="IRabbitHaPublisher"/>.</summary>
public static class RabbitHaPublisherBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="IRabbitHaPublisher"/> as a singleton on the publishing connection (named
    /// <see cref="RabbitHaOptions.ClientProvidedName"/> + <see cref="RabbitHaDiagnostics.PublisherConnectionNameSuffix"/>,
    /// apart from the consumers' connection so that a resource alarm never stops deliveries), with options validated
    /// at start. Safe to call more than once: the publisher is registered once, every configure action applies.
    /// </summary>
    /// <param name="builder">The builder from <c>AddRabbitHa</c>.</param>
    /// <param name="configure">Changes the publisher options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static IRabbitHaBuilder AddPublisher(this IRabbitHaBuilder builder, Action<RabbitHaPublisherOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        AddPublisherServices(builder.Services, $"{RabbitHaOptions.SectionName}:{RabbitHaPublisherOptions.SectionName}");
        if (configure is not null)
        {
            builder.Services.Configure(configure);
        }

        return builder;
    }

    /// <summary>Registers <see cref="IRabbitHaPublisher"/> with options bound from a configuration section (e.g. <c>RabbitHa:Publisher</c>).</summary>
    /// <param name="builder">The builder from <c>AddRabbitHa</c>.</param>
    /// <param name="configuration">The section holding <see cref="RabbitHaPublisherOptions"/>.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="configuration"/> is null.</exception>
    public static IRabbitHaBuilder AddPublisher(this IRabbitHaBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        var path = configuration is IConfigurationSection section ? section.Path : $"{RabbitHaOptions.SectionName}:{RabbitHaPublisherOptions.SectionName}";
        AddPublisherServices(builder.Services, path);
        builder.Services.AddOptions<RabbitHaPublisherOptions>().Bind(configuration);
        return builder;
    }

    /// <summary>
    /// Registers the publisher, its options and what it needs, once: <c>AddPublisher</c> and <c>AddConsumer</c> (whose
    /// consumers publish their retried and dead-lettered copies through it) both call this.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="sectionPath">The configuration path that validation messages name the options by.</param>
    internal static void AddPublisherServices(IServiceCollection services, string sectionPath)
    {
        services.AddOptions<RabbitHaPublisherOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RabbitHaPublisherOptions>>(new RabbitHaPublisherOptionsValidator(sectionPath)));
        services.TryAddSingleton<IRabbitHaSerializer, SystemTextJsonRabbitHaSerializer>();
        services.TryAddSingleton(static sp => new PublisherMetrics(sp.GetRequiredService<RabbitHaMetrics>()));
        services.TryAddSingleton<CreatedPublisher>();
        services.TryAddSingleton<IRabbitHaPublisher>(static sp => sp.GetRequiredService<CreatedPublisher>().Remember(new RabbitHaPublisher(
            sp.GetRequiredKeyedService<RabbitHaConnection>(RabbitHaServiceKeys.PublisherConnection),
            sp.GetRequiredService<IOptions<RabbitHaPublisherOptions>>(),
            sp.GetRequiredService<IRabbitHaSerializer>(),
            sp.GetRequiredService<PublisherMetrics>(),
            sp.GetService<ILogger<RabbitHaPublisher>>())));
    }
}
