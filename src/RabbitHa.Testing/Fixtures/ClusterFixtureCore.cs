using System.Diagnostics;
using System.Runtime.ExceptionServices;
using RabbitHa.Testing.Containers;

namespace RabbitHa.Testing.Fixtures;

/// <summary>
/// What a test framework's cluster fixture does, without the framework: starts a <see cref="ContainerCluster"/> unless no
/// Docker engine answers, keeps a start failure to rethrow it at first use, writes progress to the framework's sink (and to
/// standard error while starting, when the sink may be silent), and removes the cluster.
/// </summary>
/// <remarks>
/// The xUnit v2 fixture (RabbitHa.Testing) and the xUnit v3 one (RabbitHa.Testing.XunitV3) each wrap one. This file is
/// compiled into both packages rather than shared through InternalsVisibleTo, so neither package depends on the other's
/// internals: either can be upgraded alone. It uses nothing but RabbitHa.Testing's public API.
/// </remarks>
internal sealed class ClusterFixtureCore
{
    public const string NotInitialized = "The RabbitHa cluster fixture has not been initialized.";

    private readonly Action<string> _sink;
    private readonly Func<ContainerClusterBuilder, ContainerClusterBuilder> _configure;
    private readonly Func<string?> _dockerUnavailableReason;
    private readonly TextWriter? _progress;
    private volatile bool _starting;
    private ContainerCluster? _cluster;
    private ExceptionDispatchInfo? _startFailure;

    /// <param name="sink">Receives every line (start-up, chaos operations, removal); the framework's diagnostic sink.</param>
    /// <param name="configure">The fixture's <c>Configure</c>: changes the builder before the cluster is built.</param>
    /// <param name="dockerUnavailableReason">Why Docker is not available, or null when it is; <see cref="DockerAvailability"/> by default.</param>
    /// <param name="progress">Where the start-up lines also go; standard error by default.</param>
    public ClusterFixtureCore(
        Action<string> sink,
        Func<ContainerClusterBuilder, ContainerClusterBuilder> configure,
        Func<string?>? dockerUnavailableReason = null,
        TextWriter? progress = null)
    {
        _sink = sink;
        _configure = configure;
        _dockerUnavailableReason = dockerUnavailableReason ?? (static () => DockerAvailability.UnavailableReason);
        _progress = progress;
    }

    /// <summary>Gets why the cluster was not started (no Docker engine answers), or null if a start was tried or is yet to be.</summary>
    public string? SkipReason { get; private set; }

    /// <summary>Gets the running cluster.</summary>
    /// <exception cref="InvalidOperationException">Docker is not available (the message is <see cref="SkipReason"/>), or the fixture has not been initialized.</exception>
    /// <exception cref="Exception">The cluster failed to start: the original exception is rethrown.</exception>
    public IRabbitHaCluster Cluster
    {
        get
        {
            _startFailure?.Throw();
            return _cluster ?? throw new InvalidOperationException(SkipReason ?? NotInitialized);
        }
    }

    /// <summary>Starts the cluster, unless Docker is not available; a failure is kept, not thrown.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        if (_dockerUnavailableReason() is { } reason)
        {
            SkipReason = reason;
            Log($"RabbitHa cluster not started: {reason}");
            return;
        }

        var clock = Stopwatch.StartNew();
        _starting = true;
        try
        {
            _cluster = _configure(new ContainerClusterBuilder().WithLog(Log)).Build();
            await _cluster.StartAsync(cancellationToken).ConfigureAwait(false);
            Log($"RabbitHa cluster up in {clock.Elapsed.TotalSeconds:F1} s, profile {_cluster.RabbitMqProfile}: {WithoutUserInfo(_cluster.AmqpUri)} (user {_cluster.UserName}; "
                + $"HAProxy stats {_cluster.Proxy.StatsUri}, user {_cluster.Proxy.StatsUserName})"
                + (_cluster.AmqpsUri is { } amqps ? $"; TLS on: {WithoutUserInfo(amqps)}, CA certificate {_cluster.CaCertificatePath}." : "."));
        }
#pragma warning disable CA1031 // Kept and rethrown by Cluster, so each test fails with the real error.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log($"RabbitHa cluster failed to start after {clock.Elapsed.TotalSeconds:F1} s: {ex}");
            _startFailure = ExceptionDispatchInfo.Capture(ex);
        }
        finally
        {
            _starting = false;
        }
    }

    /// <summary>Removes every container and network of the cluster, also of one that failed to start.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static Uri WithoutUserInfo(Uri uri) => new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri;

    private void Log(string message)
    {
        var line = $"[{DateTime.UtcNow:HH:mm:ss.fff}] {message}";
        _sink(line);
        if (_starting)
        {
            // The sink is silent unless diagnostic messages are on; a start of a minute or more with no sign of life
            // looks like a hang.
            (_progress ?? Console.Error).WriteLine("[RabbitHa.Testing] " + line);
        }
    }
}
