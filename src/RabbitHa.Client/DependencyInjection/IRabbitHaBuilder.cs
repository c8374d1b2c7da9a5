namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Returned by <c>AddRabbitHa()</c>, for further setup: topology now, publishers and consumers later.</summary>
public interface IRabbitHaBuilder
{
    /// <summary>Gets the service collection RabbitHa is registered in.</summary>
    IServiceCollection Services { get; }
}
