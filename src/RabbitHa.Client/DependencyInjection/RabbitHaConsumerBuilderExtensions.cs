using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using RabbitHa.Client;
using RabbitHa.Client.Internal.Consuming;
using RabbitHa.Client.Internal.DependencyInjection;
using RabbitHa.Client.Internal.Diagnostics;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds RabbitHa consumers through <see cref="IRabbitHaBuilder"/>.</summary>
public static class RabbitHaConsumerBuilderExtensions
{
    /// <summary>
    /// Adds a consumer of <paramref name="queue"/> whose messages <typeparamref name="THandler"/> handles; its
    /// message type is the <c>TMessage</c> of the one <see cref="IRabbitHaHandler{TMessage}"/> it implements.
    /// </summary>
    /// <typeparam name="THandler">The handler; registered as scoped (unless already registered) and resolved from a new scope for each message.</typeparam>
    /// <param name="builder">The RabbitHa builder.</param>
    /// <param name="queue">The queue to consume from; also the name of the consumer's options.</param>
    /// <param name="configure">Sets the consumer's options; <see langword="null"/> for the defaults.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="queue"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="queue"/> is empty, or <typeparamref name="THandler"/> implements <see cref="IRabbitHaHandler{TMessage}"/> for no message type or for several (use <see cref="AddConsumer{THandler, TMessage}"/>).</exception>
    /// <exception cref="InvalidOperationException">A consumer of <paramref name="queue"/> has already been added.</exception>
    /// <remarks>Finds the message type by reflection; <see cref="AddConsumer{THandler, TMessage}"/> names it and needs none.</remarks>
    public static IRabbitHaBuilder AddConsumer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.Interfaces | DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IRabbitHaBuilder builder, string queue, Action<RabbitHaConsumerOptions>? configure = null)
        where THandler : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);

        Type[] messageTypes = typeof(THandler).GetInterfaces()
            .Where(static i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IRabbitHaHandler<>))
            .Select(static i => i.GetGenericArguments()[0])
            .ToArray();
        if (messageTypes.Length != 1)
        {
            throw new ArgumentException(
                $"{typeof(THandler).Name} must implement IRabbitHaHandler<TMessage> for exactly one message type to be added with AddConsumer<{typeof(THandler).Name}>() " +
                $"(it does for {(messageTypes.Length == 0 ? "none" : string.Join(", ", messageTypes.Select(static t => t.Name)))}); " +
                $"name the message type with AddConsumer<{typeof(THandler).Name}, TMessage>().",
                nameof(THandler));
        }

        MethodInfo add = typeof(RabbitHaConsumerBuilderExtensions)
            .GetMethod(nameof(AddConsumerCore), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(typeof(THandler), messageTypes[0]);
        add.Invoke(null, BindingFlags.DoNotWrapExceptions, binder: null, [builder, queue, configure], culture: null);
        return builder;
    }

    /// <summary>Adds a consumer of <paramref name="queue"/> whose messages, of type <typeparamref name="TMessage"/>, <typeparamref name="THandler"/> handles.</summary>
    /// <typeparam name="THandler">The handler; registered as scoped (unless already registered) and resolved from a new scope for each message.</typeparam>
    /// <typeparam name="TMessage">The message type: <see cref="ReadOnlyMemory{T}"/> of <see cref="byte"/> for the raw body, otherwise deserialized with the registered <see cref="IRabbitHaSerializer"/> (System.Text.Json by default).</typeparam>
    /// <param name="builder">The RabbitHa builder.</param>
    /// <param name="queue">The queue to consume from; also the name of the consumer's options, so that <c>services.Configure&lt;RabbitHaConsumerOptions&gt;(queue, ...)</c> or a configuration section can set them too.</param>
    /// <param name="configure">Sets the consumer's options; <see langword="null"/> for the defaults.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="queue"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="queue"/> is empty or whitespace.</exception>
    /// <exception cref="InvalidOperationException">A consumer of <paramref name="queue"/> has already been added: one consumer per queue, scaled with <see cref="RabbitHaConsumerOptions.Concurrency"/>.</exception>
    /// <remarks>
    /// Consumers run on the main connection, started by <c>AddRabbitHa</c>'s hosted service once the connections are
    /// open and stopped before they close. The options are validated when the host starts. Adding a consumer also
    /// registers <see cref="IRabbitHaPublisher"/> (as <c>AddPublisher()</c> does): the consumer publishes the copies it
    /// retries and dead-letters through it, on the publishing connection.
    /// </remarks>
    public static IRabbitHaBuilder AddConsumer<THandler, TMessage>(
        this IRabbitHaBuilder builder, string queue, Action<RabbitHaConsumerOptions>? configure = null)
        where THandler : class, IRabbitHaHandler<TMessage>
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        AddConsumerCore<THandler, TMessage>(builder, queue, configure);
        return builder;
    }

    private static void AddConsumerCore<THandler, TMessage>(IRabbitHaBuilder builder, string queue, Action<RabbitHaConsumerOptions>? configure)
        where THandler : class, IRabbitHaHandler<TMessage>
    {
        IServiceCollection services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(ConsumerRegistration) && d.ImplementationInstance is ConsumerRegistration r && r.Name == queue))
        {
            throw new InvalidOperationException(
                $"A RabbitHa consumer of queue '{queue}' has already been added. Add one consumer per queue and raise its Concurrency to handle more messages at once.");
        }

        services.TryAddScoped<THandler>();
        services.TryAddSingleton<IRabbitHaSerializer>(static _ => new SystemTextJsonRabbitHaSerializer());
        services.TryAddSingleton<IRabbitHaDeduplicationStore>(static _ => new InMemoryRabbitHaDeduplicationStore());
        services.TryAddSingleton(static sp => new ConsumerMetrics(sp.GetRequiredService<RabbitHaMetrics>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RabbitHaConsumerOptions>, RabbitHaConsumerOptionsValidator>());

        // Retried and dead-lettered copies are published, confirmed, on the publishing connection: never on the consumers'
        // own, which a resource alarm would block, acknowledgements included.
        RabbitHaPublisherBuilderExtensions.AddPublisherServices(services, $"{RabbitHaOptions.SectionName}:{RabbitHaPublisherOptions.SectionName}");

        OptionsBuilder<RabbitHaConsumerOptions> options = services.AddOptions<RabbitHaConsumerOptions>(queue)
            .Configure(o => o.Queue = queue);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();

        services.AddSingleton(new ConsumerRegistration(queue, typeof(THandler), typeof(TMessage), static sp =>
            new ScopedMessageInvoker<THandler, TMessage>(
                sp.GetRequiredService<IServiceScopeFactory>(),
                sp.GetRequiredService<IRabbitHaSerializer>())));
    }
}
