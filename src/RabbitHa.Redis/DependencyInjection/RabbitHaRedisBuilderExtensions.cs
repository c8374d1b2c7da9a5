using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitHa.Client;
using RabbitHa.Redis;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Makes Redis the consumers' deduplication store, through <see cref="IRabbitHaBuilder"/>.</summary>
public static class RabbitHaRedisBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="RedisRabbitHaDeduplicationStore"/> as the singleton <see cref="IRabbitHaDeduplicationStore"/>, so that
    /// consumers with <see cref="RabbitHaConsumerOptions.DeduplicateByMessageId"/> deduplicate across every process that shares
    /// the Redis, with options validated when the host starts.
    /// </summary>
    /// <param name="builder">The builder from <c>AddRabbitHa</c>.</param>
    /// <param name="configure">
    /// Sets the options, such as <see cref="RedisDeduplicationOptions.Configuration"/>; <see langword="null"/> for the defaults,
    /// on the <see cref="IConnectionMultiplexer"/> registered in the service collection.
    /// </param>
    /// <returns>The same builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// Wins over the in-memory default whether it is called before or after <c>AddConsumer</c>, and over a store registered
    /// before it. Safe to call more than once: the store is registered once, and every configure action applies. When the
    /// host starts, each deduplicating consumer is also checked against the store: its
    /// <see cref="RabbitHaConsumerOptions.HandlerTimeout"/> must be shorter than <see cref="RedisDeduplicationOptions.ClaimExpiry"/>,
    /// and its <see cref="RabbitHaConsumerOptions.DeduplicationStoreTimeout"/> longer than <see cref="RedisDeduplicationOptions.OperationTimeout"/>.
    /// </remarks>
    public static IRabbitHaBuilder AddRedisDeduplication(this IRabbitHaBuilder builder, Action<RedisDeduplicationOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        AddServices(builder.Services, RedisDeduplicationOptionsValidator.DefaultSectionPath);
        if (configure is not null)
        {
            builder.Services.Configure(configure);
        }

        return builder;
    }

    /// <summary>
    /// Registers <see cref="RedisRabbitHaDeduplicationStore"/> as the singleton <see cref="IRabbitHaDeduplicationStore"/>, with
    /// options bound from a configuration section (usually <c>RabbitHa:Redis</c>); as <see cref="AddRedisDeduplication(IRabbitHaBuilder, Action{RedisDeduplicationOptions}?)"/>.
    /// </summary>
    /// <param name="builder">The builder from <c>AddRabbitHa</c>.</param>
    /// <param name="configuration">The section holding <see cref="RedisDeduplicationOptions"/>; validation messages name the options by its path.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="configuration"/> is <see langword="null"/>.</exception>
    public static IRabbitHaBuilder AddRedisDeduplication(this IRabbitHaBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        string path = configuration is IConfigurationSection section ? section.Path : RedisDeduplicationOptionsValidator.DefaultSectionPath;
        AddServices(builder.Services, path);
        builder.Services.AddOptions<RedisDeduplicationOptions>().Bind(configuration);
        return builder;
    }

    private static void AddServices(IServiceCollection services, string sectionPath)
    {
        services.AddOptions<RedisDeduplicationOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisDeduplicationOptions>, RedisDeduplicationOptionsValidator>(sp =>
        {
            IServiceProviderIsService? known = sp.GetService<IServiceProviderIsService>();
            return new RedisDeduplicationOptionsValidator(sectionPath, () => known?.IsService(typeof(IConnectionMultiplexer)) ?? false);
        }));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RabbitHaConsumerOptions>, RedisConsumerOptionsValidator>(sp =>
            new RedisConsumerOptionsValidator(sp.GetRequiredService<IOptionsMonitor<RedisDeduplicationOptions>>(), sectionPath)));

        services.TryAddSingleton(static sp =>
        {
            RedisDeduplicationOptions options = sp.GetRequiredService<IOptions<RedisDeduplicationOptions>>().Value;
            var logger = sp.GetService<ILogger<RedisRabbitHaDeduplicationStore>>();
            var meterFactory = sp.GetService<IMeterFactory>();
            return string.IsNullOrWhiteSpace(options.Configuration)
                ? new RedisRabbitHaDeduplicationStore(sp.GetRequiredService<IConnectionMultiplexer>(), options, logger, meterFactory)
                : new RedisRabbitHaDeduplicationStore(options, logger, meterFactory);
        });

        // AddConsumer adds the in-memory store with TryAdd: removed here if it came first, never added if it comes after.
        services.RemoveAll<IRabbitHaDeduplicationStore>();
        services.AddSingleton<IRabbitHaDeduplicationStore>(static sp => sp.GetRequiredService<RedisRabbitHaDeduplicationStore>());
    }
}
