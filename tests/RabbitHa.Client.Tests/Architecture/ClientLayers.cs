namespace RabbitHa.Client.Tests.Architecture;

/// <summary>
/// RabbitHa.Client's areas and which may use which, as docs/ARCHITECTURE.md draws them ("Dependencies"). An internal type's
/// area is its namespace (<c>RabbitHa.Client.Internal.&lt;Area&gt;</c>); a public type stays in <c>RabbitHa.Client</c> (or
/// <c>Microsoft.Extensions.DependencyInjection</c>) so that users need one <c>using</c>, and its area is in <see cref="PublicTypes"/>.
/// </summary>
internal static class ClientLayers
{
    public const string Diagnostics = "Diagnostics";
    public const string Resilience = "Resilience";
    public const string Serialization = "Serialization";
    public const string Topology = "Topology";
    public const string Configuration = "Configuration";
    public const string Connection = "Connection";
    public const string Publishing = "Publishing";
    public const string Consuming = "Consuming";
    public const string DependencyInjection = "DependencyInjection";

    public const string InternalNamespace = "RabbitHa.Client.Internal";

    /// <summary>What each area may use besides itself: each one only areas listed before it, so dependencies point one way.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Allowed = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        // The ground: logs, meters, traces and redaction take strings and numbers, never another area's types.
        [Diagnostics] = [],
        [Resilience] = [Diagnostics],
        [Serialization] = [Diagnostics],
        [Topology] = [Resilience, Diagnostics],
        [Configuration] = [Topology, Diagnostics],
        [Connection] = [Configuration, Topology, Resilience, Diagnostics],
        [Publishing] = [Connection, Configuration, Topology, Serialization, Resilience, Diagnostics],
        [Consuming] = [Publishing, Connection, Configuration, Topology, Serialization, Resilience, Diagnostics],
        [DependencyInjection] = [Consuming, Publishing, Connection, Configuration, Topology, Serialization, Resilience, Diagnostics],
    };

    /// <summary>The area of every public type. A new public type fails <c>ArchitectureTests</c> until it is placed here.</summary>
    public static readonly IReadOnlyDictionary<string, string> PublicTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["RabbitHa.Client.RabbitHaDiagnostics"] = Diagnostics,
        ["RabbitHa.Client.RabbitHaConsumerDiagnostics"] = Diagnostics,
        ["RabbitHa.Client.RabbitHaHeaders"] = Diagnostics,

        ["RabbitHa.Client.RabbitHaConnectionException"] = Resilience,

        ["RabbitHa.Client.IRabbitHaSerializer"] = Serialization,
        ["RabbitHa.Client.SystemTextJsonRabbitHaSerializer"] = Serialization,

        ["RabbitHa.Client.RabbitHaTopologyOptions"] = Topology,
        ["RabbitHa.Client.RabbitHaExchangeDefinition"] = Topology,
        ["RabbitHa.Client.RabbitHaQueueDefinition"] = Topology,
        ["RabbitHa.Client.RabbitHaBindingDefinition"] = Topology,
        ["RabbitHa.Client.RabbitHaQueueType"] = Topology,

        ["RabbitHa.Client.RabbitHaOptions"] = Configuration,
        ["RabbitHa.Client.RabbitHaTlsOptions"] = Configuration,
        ["RabbitHa.Client.RabbitHaRecoveryOptions"] = Configuration,
        ["RabbitHa.Client.RabbitHaStartupOptions"] = Configuration,

        ["RabbitHa.Client.IRabbitHaConnection"] = Connection,
        ["RabbitHa.Client.RabbitHaConnectionState"] = Connection,
        ["RabbitHa.Client.RabbitHaServiceKeys"] = Connection,
        ["RabbitHa.Client.RabbitHaConnectionLostEventArgs"] = Connection,
        ["RabbitHa.Client.RabbitHaConnectionRecoveredEventArgs"] = Connection,
        ["RabbitHa.Client.RabbitHaRecoveryFailedEventArgs"] = Connection,
        ["RabbitHa.Client.RabbitHaConnectionBlockedEventArgs"] = Connection,
        ["RabbitHa.Client.RabbitHaConnectionUnblockedEventArgs"] = Connection,

        ["RabbitHa.Client.IRabbitHaPublisher"] = Publishing,
        ["RabbitHa.Client.RabbitHaOutgoingMessage"] = Publishing,
        ["RabbitHa.Client.RabbitHaPublishFailureReason"] = Publishing,
        ["RabbitHa.Client.RabbitHaPublishException"] = Publishing,
        ["RabbitHa.Client.RabbitHaPublisherOptions"] = Publishing,
        ["RabbitHa.Client.RabbitHaBatchPublishOutcome"] = Publishing,
        ["RabbitHa.Client.RabbitHaBatchPublishResult"] = Publishing,

        ["RabbitHa.Client.IRabbitHaHandler`1"] = Consuming,
        ["RabbitHa.Client.IRabbitHaDeduplicationStore"] = Consuming,
        ["RabbitHa.Client.InMemoryRabbitHaDeduplicationStore"] = Consuming,
        ["RabbitHa.Client.RabbitHaDeduplicationResult"] = Consuming,
        ["RabbitHa.Client.RabbitHaConsumer"] = Consuming,
        ["RabbitHa.Client.RabbitHaConsumerOptions"] = Consuming,
        ["RabbitHa.Client.RabbitHaDeadLetterStrategy"] = Consuming,
        ["RabbitHa.Client.RabbitHaFailureAction"] = Consuming,
        ["RabbitHa.Client.RabbitHaMessageContext"] = Consuming,

        ["Microsoft.Extensions.DependencyInjection.IRabbitHaBuilder"] = DependencyInjection,
        ["Microsoft.Extensions.DependencyInjection.RabbitHaBuilderExtensions"] = DependencyInjection,
        ["Microsoft.Extensions.DependencyInjection.RabbitHaConsumerBuilderExtensions"] = DependencyInjection,
        ["Microsoft.Extensions.DependencyInjection.RabbitHaPublisherBuilderExtensions"] = DependencyInjection,
        ["Microsoft.Extensions.DependencyInjection.RabbitHaServiceCollectionExtensions"] = DependencyInjection,
    };

    /// <summary>The namespaces public types may live in: the one users open, and the one DI extensions live in by convention.</summary>
    public static readonly string[] PublicNamespaces = ["RabbitHa.Client", "Microsoft.Extensions.DependencyInjection"];
}
