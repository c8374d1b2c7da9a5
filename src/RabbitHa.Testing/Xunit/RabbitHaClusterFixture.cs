using System.Diagnostics;
using System.Runtime.ExceptionServices;
using RabbitHa.Testing.Containers;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Testing.Xunit;

/// <summary>
/// An xUnit class or collection fixture that starts a <see cref="ContainerCluster"/> before the first
/// test and removes it after the last one.
/// </summary>
/// <remarks>
/// <para>
/// Without a Docker engine the fixture starts nothing; mark the tests with <see cref="DockerFactAttribute"/>
/// so they are skipped with the reason. If the cluster fails to start, the failure is kept and rethrown
/// by <see cref="Cluster"/> at first use, so each test reports the real error rather than a fixture failure.
/// </para>
/// <para>
/// Progress (start-up time, chaos operations) goes to xUnit's diagnostic message sink: enable
/// <c>diagnosticMessages</c> in xunit.runner.json to see it. Derive from this class and override
/// <see cref="Configure"/> to change images or timeouts.
/// </para>
/// </remarks>
public class RabbitHaClusterFixture : IAsyncLifetime
{
    private readonly IMessageSink _messageSink;
    private ContainerCluster? _cluster;
    private ExceptionDispatchInfo? _startFailure;

    /// <summary>Initializes a new instance of the <see cref="RabbitHaClusterFixture"/> class.</summary>
    /// <param name="messageSink">xUnit's diagnostic message sink, injected by xUnit.</param>
    /// <exception cref="ArgumentNullException"><paramref name="messageSink"/> is null.</exception>
    public RabbitHaClusterFixture(IMessageSink messageSink)
    {
        ArgumentNullException.ThrowIfNull(messageSink);
        _messageSink = messageSink;
    }

    /// <summary>Gets the running cluster.</summary>
    /// <exception cref="InvalidOperationException">Docker is not available, or the fixture has not been initialized.</exception>
    /// <exception cref="Exception">The cluster failed to start: the original exception is rethrown.</exception>
    public IRabbitHaCluster Cluster
    {
        get
        {
            _startFailure?.Throw();
            return _cluster ?? throw new InvalidOperationException(
                DockerAvailability.UnavailableReason ?? "The RabbitHa cluster fixture has not been initialized.");
        }
    }

    /// <summary>Starts the cluster, unless Docker is not available.</summary>
    /// <returns>A task that completes when the cluster is healthy or has failed to start.</returns>
    public async Task InitializeAsync()
    {
        if (!DockerAvailability.IsAvailable)
        {
            Log($"RabbitHa cluster not started: {DockerAvailability.UnavailableReason}");
            return;
        }

        var clock = Stopwatch.StartNew();
        try
        {
            _cluster = Configure(new ContainerClusterBuilder().WithLog(Log)).Build();
            await _cluster.StartAsync().ConfigureAwait(false);
            Log($"RabbitHa cluster up in {clock.Elapsed.TotalSeconds:F1} s: {_cluster.AmqpUri.GetLeftPart(UriPartial.Authority).Replace("guest:guest@", "", StringComparison.Ordinal)}");
        }
#pragma warning disable CA1031 // Kept and rethrown by Cluster, so each test fails with the real error.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log($"RabbitHa cluster failed to start after {clock.Elapsed.TotalSeconds:F1} s: {ex}");
            _startFailure = ExceptionDispatchInfo.Capture(ex);
        }
    }

    /// <summary>Removes every container and network of the cluster.</summary>
    /// <returns>A task that completes when the cluster is removed.</returns>
    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Lets a derived fixture change the cluster before it is built.</summary>
    /// <param name="builder">The builder, with the log already set.</param>
    /// <returns>The builder to build from.</returns>
    protected virtual ContainerClusterBuilder Configure(ContainerClusterBuilder builder) => builder;

    private void Log(string message) => _messageSink.OnMessage(new FixtureDiagnosticMessage($"[{DateTime.UtcNow:HH:mm:ss.fff}] {message}"));
}
