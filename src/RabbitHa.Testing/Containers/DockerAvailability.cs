using Docker.DotNet;
using DotNet.Testcontainers.Configurations;

namespace RabbitHa.Testing.Containers;

/// <summary>
/// Whether a Docker engine answers on this machine, probed once per process and cached, so that tests
/// that need the container cluster can be skipped with a reason instead of failing.
/// </summary>
public static class DockerAvailability
{
    private static readonly Lazy<string?> Probe = new(ProbeEngine, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Gets a value indicating whether a Docker engine answered a ping.</summary>
    public static bool IsAvailable => Probe.Value is null;

    /// <summary>Gets why Docker is not available, or <see langword="null"/> when it is.</summary>
    public static string? UnavailableReason => Probe.Value;

    internal static IDockerClient CreateClient()
    {
        var endpoint = TestcontainersSettings.OS.DockerEndpointAuthConfig
            ?? throw new InvalidOperationException("Testcontainers found no Docker endpoint (is DOCKER_HOST set, is the socket there?).");
        return endpoint.GetDockerClientBuilder().Build();
    }

    private static string? ProbeEngine()
    {
        try
        {
            using var client = CreateClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            client.System.PingAsync(timeout.Token).GetAwaiter().GetResult();
            return null;
        }
#pragma warning disable CA1031 // The probe's one job is to turn any failure into a skip reason.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return $"Docker not available: {ex.GetType().Name}: {ex.Message}";
        }
    }
}
