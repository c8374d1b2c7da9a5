using RabbitHa.Testing.Containers;
using RabbitHa.Testing.Fixtures;
using Xunit;
using Xunit.Sdk;
using Xunit.v3;

namespace RabbitHa.Testing.XunitV3;

/// <summary>
/// An xUnit v3 class, collection or assembly fixture that starts a <see cref="ContainerCluster"/> before the first test and
/// removes it after the last one.
/// </summary>
/// <remarks>
/// <para>
/// Without a Docker engine the fixture starts nothing, and <see cref="Cluster"/> skips the test that reads it, with the reason
/// (xUnit v3's dynamic skip): a plain <c>[Fact]</c> is enough. <see cref="DockerFactAttribute"/> skips a test before its class
/// is even built, also when it does not use the fixture. If the cluster fails to start, the failure is kept and rethrown by
/// <see cref="Cluster"/> at first use, so each test reports the real error rather than a fixture failure.
/// </para>
/// <para>
/// Every line of progress (start-up, chaos operations, removal) goes to xUnit's diagnostic message sink, which xUnit shows only
/// with <c>"diagnosticMessages": true</c> in xunit.runner.json. The start-up lines, which cover the 10-90 s before the first
/// test runs, also go to standard error, which <c>dotnet test</c> shows from verbosity normal on. No line carries a password.
/// Starting is cancelled with the test run (<see cref="TestContext.CancellationToken"/>).
/// </para>
/// <para>
/// The cluster runs RabbitMQ 3 with mirrored classic queues unless the environment variable <c>RABBITHA_RABBITMQ_PROFILE</c>
/// is <c>4</c> (RabbitMQ 4 with quorum queues). Derive from this class and override <see cref="Configure"/> to fix the
/// profile in code (<see cref="ContainerClusterBuilder.WithRabbitMqProfile"/>), to turn TLS on
/// (<see cref="ContainerClusterBuilder.WithTls"/>), or to change images or timeouts. This is RabbitHa.Testing's xUnit v2
/// fixture (<c>RabbitHa.Testing.Xunit.RabbitHaClusterFixture</c>) for xUnit v3: the same cluster, the same behaviour.
/// </para>
/// </remarks>
public class RabbitHaClusterFixture : IAsyncLifetime
{
    private readonly ClusterFixtureCore _core;

    /// <summary>Initializes a new instance of the <see cref="RabbitHaClusterFixture"/> class.</summary>
    /// <param name="messageSink">xUnit's diagnostic message sink, injected by xUnit.</param>
    /// <exception cref="ArgumentNullException"><paramref name="messageSink"/> is null.</exception>
    public RabbitHaClusterFixture(IMessageSink messageSink)
        : this(messageSink, dockerUnavailableReason: null, progress: null)
    {
    }

    /// <summary>Lets tests decide whether Docker answers and where the start-up lines go, without a Docker engine.</summary>
    internal RabbitHaClusterFixture(IMessageSink messageSink, Func<string?>? dockerUnavailableReason, TextWriter? progress)
    {
        ArgumentNullException.ThrowIfNull(messageSink);
        _core = new ClusterFixtureCore(
            line => messageSink.OnMessage(new DiagnosticMessage(line)),
            builder => Configure(builder),
            dockerUnavailableReason,
            progress);
    }

    /// <summary>Gets the running cluster.</summary>
    /// <exception cref="InvalidOperationException">Docker is not available: the exception's message makes xUnit v3 report the
    /// test as skipped, with the reason. Or the fixture has not been initialized.</exception>
    /// <exception cref="Exception">The cluster failed to start: the original exception is rethrown.</exception>
    public IRabbitHaCluster Cluster => _core.SkipReason is { } reason
        ? throw new InvalidOperationException(DynamicSkipToken.Value + reason)
        : _core.Cluster;

    /// <summary>Starts the cluster, unless Docker is not available.</summary>
    /// <returns>A task that completes when the cluster is healthy or has failed to start.</returns>
    public async ValueTask InitializeAsync() =>
        await _core.InitializeAsync(TestContext.Current.CancellationToken).ConfigureAwait(false);

    /// <summary>Removes every container and network of the cluster.</summary>
    /// <returns>A task that completes when the cluster is removed.</returns>
    public async ValueTask DisposeAsync()
    {
        await _core.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Lets a derived fixture change the cluster before it is built: the profile, images, timeouts, and TLS
    /// (<c>builder.WithTls()</c> turns it on; see <see cref="ContainerClusterBuilder.WithTls"/>).
    /// </summary>
    /// <example>
    /// <code>
    /// public sealed class Rabbit4Fixture(IMessageSink sink) : RabbitHaClusterFixture(sink)
    /// {
    ///     protected override ContainerClusterBuilder Configure(ContainerClusterBuilder builder) =>
    ///         builder.WithRabbitMqProfile(RabbitMqProfile.RabbitMq4);
    /// }
    /// </code>
    /// </example>
    /// <param name="builder">The builder, with the log already set.</param>
    /// <returns>The builder to build from.</returns>
    protected virtual ContainerClusterBuilder Configure(ContainerClusterBuilder builder) => builder;
}
