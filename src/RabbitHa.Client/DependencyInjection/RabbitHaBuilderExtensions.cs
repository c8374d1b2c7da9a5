using RabbitHa.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Further setup of RabbitHa through <see cref="IRabbitHaBuilder"/>.</summary>
public static class RabbitHaBuilderExtensions
{
    /// <summary>
    /// Adds exchanges, queues and bindings to declare when the connection opens (and, through RabbitMQ.Client's
    /// topology recovery, after every recovery).
    /// </summary>
    /// <remarks>
    /// A declaration the broker refuses (such as a queue that exists with other arguments) does not fail the start or
    /// hold up a recovery: it is logged as an error, reported by the health check as <c>Degraded</c>, and declared
    /// again in the background until the broker accepts it. See <see cref="RabbitHaTopologyOptions"/>.
    /// </remarks>
    /// <param name="builder">The RabbitHa builder.</param>
    /// <param name="configure">Adds to <see cref="RabbitHaOptions.Topology"/>.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="configure"/> is <see langword="null"/>.</exception>
    public static IRabbitHaBuilder AddTopology(this IRabbitHaBuilder builder, Action<RabbitHaTopologyOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);

        builder.Services.Configure<RabbitHaOptions>(options => configure(options.Topology));
        return builder;
    }
}
