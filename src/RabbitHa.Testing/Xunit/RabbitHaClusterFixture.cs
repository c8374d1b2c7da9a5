using RabbitHa.Testing.Containers;
using RabbitHa.Testing.Fixtures;
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
/// Every line of progress (start-up, chaos operations, removal) goes to xUnit's diagnostic message sink, which
/// xUnit v2 shows only with <c>"diagnosticMessages": true</c> in xunit.runner.json (then at any <c>dotnet test</c>
/// verbosity, and in an IDE's test output). The start-up lines, which cover the 30-90 s before the first test runs,
/// also go to standard error, which <c>dotnet test</c> shows from verbosity normal on
/// (<c>--logger "console;verbosity=normal"</c>) without any configuration. No line carries a password.
/// </para>
/// <para>
/// The cluster runs RabbitMQ 3 with mirrored classic queues unless the environment variable <c>RABBITHA_RABBITMQ_PROFILE</c>
/// is <c>4</c> (RabbitMQ 4 with quorum queues): one test run, one line, and the same tests can run on both, branching on
/// <see cref="IRabbitHaCluster.RabbitMqProfile"/>. Derive from this class and override <see cref="Configure"/> to fix the
/// profile in code (<see cref="ContainerClusterBuilder.WithRabbitMqProfile"/>), or to change images or timeouts.
/// </para>
/// <para>
/// TLS is off unless <see cref="Configure"/> calls <see cref="ContainerClusterBuilder.WithTls"/>: then the cluster also
/// speaks AMQP over TLS, with a CA generated for it (<see cref="IRabbitHaCluster.AmqpsUri"/>,
/// <see cref="IRabbitHaCluster.CaCertificatePath"/>).
/// </para>
/// </remarks>
public class RabbitHaClusterFixture : IAsyncLifetime
{
    private readonly ClusterFixtureCore _core;

    /// <summary>Initializes a new instance of the <see cref="RabbitHaClusterFixture"/> class.</summary>
    /// <param name="messageSink">xUnit's diagnostic message sink, injected by xUnit.</param>
    /// <exception cref="ArgumentNullException"><paramref name="messageSink"/> is null.</exception>
    public RabbitHaClusterFixture(IMessageSink messageSink)
    {
        ArgumentNullException.ThrowIfNull(messageSink);
        _core = new ClusterFixtureCore(line => messageSink.OnMessage(new FixtureDiagnosticMessage(line)), builder => Configure(builder));
    }

    /// <summary>Gets the running cluster.</summary>
    /// <exception cref="InvalidOperationException">Docker is not available, or the fixture has not been initialized.</exception>
    /// <exception cref="Exception">The cluster failed to start: the original exception is rethrown.</exception>
    public IRabbitHaCluster Cluster => _core.Cluster;

    /// <summary>Starts the cluster, unless Docker is not available.</summary>
    /// <returns>A task that completes when the cluster is healthy or has failed to start.</returns>
    public Task InitializeAsync() => _core.InitializeAsync();

    /// <summary>Removes every container and network of the cluster.</summary>
    /// <returns>A task that completes when the cluster is removed.</returns>
    public Task DisposeAsync() => _core.DisposeAsync().AsTask();

    /// <summary>
    /// Lets a derived fixture change the cluster before it is built: the profile, images, timeouts, and TLS
    /// (<c>builder.WithTls()</c> turns it on; see <see cref="ContainerClusterBuilder.WithTls"/>).
    /// </summary>
    /// <example>
    /// <code>
    /// public sealed class TlsClusterFixture(IMessageSink sink) : RabbitHaClusterFixture(sink)
    /// {
    ///     protected override ContainerClusterBuilder Configure(ContainerClusterBuilder builder) => builder.WithTls();
    /// }
    /// </code>
    /// </example>
    /// <param name="builder">The builder, with the log already set.</param>
    /// <returns>The builder to build from.</returns>
    protected virtual ContainerClusterBuilder Configure(ContainerClusterBuilder builder) => builder;
}
