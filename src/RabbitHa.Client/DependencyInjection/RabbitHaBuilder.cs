using Microsoft.Extensions.DependencyInjection;

namespace RabbitHa.Client.Internal.DependencyInjection;

internal sealed class RabbitHaBuilder : IRabbitHaBuilder
{
    public RabbitHaBuilder(IServiceCollection services)
    {
        Services = services;
    }

    public IServiceCollection Services { get; }
}
