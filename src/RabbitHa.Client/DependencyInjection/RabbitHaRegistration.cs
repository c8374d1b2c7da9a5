namespace RabbitHa.Client.Internal.DependencyInjection;

/// <summary>
/// Marks a service collection in which RabbitHa's services are registered, so that a second
/// <c>AddRabbitHa()</c> only adds its configuration, and remembers the configuration sections already
/// bound: binding a section twice would append its list entries (fallback endpoints, topology) twice.
/// </summary>
internal sealed class RabbitHaRegistration
{
    public HashSet<string> BoundSections { get; } = new(StringComparer.OrdinalIgnoreCase);
}
