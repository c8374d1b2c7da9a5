namespace RabbitHa.Client.Internal.Connection;

/// <summary>Which of the connections of one <c>AddRabbitHa()</c> a <see cref="RabbitHaConnection"/> is.</summary>
internal enum ConnectionPurpose
{
    /// <summary>
    /// Named <see cref="RabbitHaOptions.ClientProvidedName"/>: declares the topology, carries the consumers and the
    /// application's own channels. It never publishes, so a resource alarm never blocks it.
    /// </summary>
    Main = 0,

    /// <summary>
    /// Named <see cref="RabbitHaOptions.ClientProvidedName"/> + <see cref="RabbitHaDiagnostics.PublisherConnectionNameSuffix"/>:
    /// the publisher's, including the consumers' dead-letter publishes. The broker may block it during an alarm.
    /// </summary>
    Publishing = 1,
}
