using Microsoft.Extensions.Hosting;
using RabbitHa.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Connects when the host starts, so that start-up waits (at most <see cref="RabbitHaStartupOptions.Timeout"/>)
/// for the cluster and fails with the reason if it cannot be reached; closes the connection when the host
/// stops. Registered before the publishers' and consumers' services, so it stops after them.
/// </summary>
internal sealed class RabbitHaConnectionHostedService : IHostedService
{
    private readonly RabbitHaConnection _connection;

    public RabbitHaConnectionHostedService(RabbitHaConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _connection = connection;
    }

    public Task StartAsync(CancellationToken cancellationToken) => _connection.ConnectAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => _connection.CloseAsync(cancellationToken);
}
