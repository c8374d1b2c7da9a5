using Microsoft.Extensions.Hosting;

namespace RabbitHa.Benchmarks;

/// <summary>Ending an application host the way the generic host expects: stop (bounded), then dispose asynchronously.</summary>
internal static class Hosts
{
    /// <summary>
    /// Stops the host within <paramref name="timeout"/>, then disposes it. Asynchronously where it can: RabbitHa's and
    /// MassTransit's services release connections in <see cref="IAsyncDisposable.DisposeAsync"/>.
    /// </summary>
    public static async Task StopAndDisposeAsync(this IHost host, TimeSpan timeout)
    {
        try
        {
            using var stop = new CancellationTokenSource(timeout);
            await host.StopAsync(stop.Token);
        }
        finally
        {
            if (host is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
            else
            {
                host.Dispose();
            }
        }
    }
}
