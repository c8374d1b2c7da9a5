using System.Collections.Concurrent;
using RabbitHa.Testing.Containers;
using Xunit;
using Xunit.Sdk;
using Xunit.v3;

namespace RabbitHa.Testing.XunitV3.Tests;

/// <summary>The v3 fixture without a Docker engine: whether Docker answers is decided by the test.</summary>
[Trait("Category", "Unit")]
public sealed class RabbitHaClusterFixtureTests
{
    private const string NoDocker = "Docker not available: HttpRequestException: Connection refused (/var/run/docker.sock)";

    [Fact]
    public async Task InitializeAsync_WhenDockerUnavailable_StartsNothingAndClusterSkipsTheTestWithTheReason()
    {
        var sink = new RecordingSink();
        var progress = new StringWriter();
        await using var fixture = new RabbitHaClusterFixture(sink, () => NoDocker, progress);

        await fixture.InitializeAsync();

        // xUnit v3 reports a test as skipped when an exception's message starts with the dynamic skip token; the rest is the
        // reason. Caught by hand: Assert.Throws lets such an exception through, so that the test would be skipped.
        InvalidOperationException? ex = null;
        try
        {
            _ = fixture.Cluster;
        }
        catch (InvalidOperationException caught)
        {
            ex = caught;
        }

        Assert.NotNull(ex);
        Assert.StartsWith(DynamicSkipToken.Value, ex.Message, StringComparison.Ordinal);
        Assert.Equal(NoDocker, ex.Message[DynamicSkipToken.Value.Length..]);
        string line = Assert.Single(sink.Lines);
        Assert.EndsWith("] RabbitHa cluster not started: " + NoDocker, line, StringComparison.Ordinal);
        Assert.Empty(progress.ToString()); // not a start: nothing to show signs of life for
    }

    [Fact]
    public async Task Cluster_WhenStartFailed_RethrowsTheOriginalExceptionAtEachUse()
    {
        var sink = new RecordingSink();
        var progress = new StringWriter();
        await using var fixture = new UnbuildableClusterFixture(sink, progress);

        await fixture.InitializeAsync(); // the failure is kept, not thrown: each test reports it

        var first = Assert.Throws<ArgumentOutOfRangeException>(() => fixture.Cluster);
        var second = Assert.Throws<ArgumentOutOfRangeException>(() => fixture.Cluster);
        Assert.Same(fixture.Failure, first);
        Assert.Same(first, second);
        Assert.Equal("profile", first.ParamName);
        Assert.Contains(nameof(UnbuildableClusterFixture), first.StackTrace, StringComparison.Ordinal); // where it was thrown, not the getter
    }

    [Fact]
    public async Task InitializeAsync_WhenStartFails_WritesTheFailureToTheSinkAndToStandardError()
    {
        var sink = new RecordingSink();
        var progress = new StringWriter();
        await using var fixture = new UnbuildableClusterFixture(sink, progress);

        await fixture.InitializeAsync();

        string line = Assert.Single(sink.Lines);
        Assert.Contains("] RabbitHa cluster failed to start after ", line, StringComparison.Ordinal);
        Assert.Contains("System.ArgumentOutOfRangeException", line, StringComparison.Ordinal);
        // During a start the sink may be silent (diagnosticMessages off): the same line goes to standard error.
        Assert.Equal("[RabbitHa.Testing] " + line + Environment.NewLine, progress.ToString());
    }

    [Fact]
    public async Task Sink_ReceivesXunitV3DiagnosticMessages()
    {
        var sink = new RecordingSink();
        await using var fixture = new RabbitHaClusterFixture(sink, () => NoDocker, new StringWriter());

        await fixture.InitializeAsync();

        Assert.IsAssignableFrom<IDiagnosticMessage>(Assert.Single(sink.Messages));
    }

    [Fact]
    public async Task Cluster_BeforeInitializeAsync_ThrowsNotInitialized()
    {
        await using var fixture = new RabbitHaClusterFixture(new RecordingSink(), () => null, new StringWriter());

        var ex = Assert.Throws<InvalidOperationException>(() => fixture.Cluster);

        Assert.Equal("The RabbitHa cluster fixture has not been initialized.", ex.Message);
    }

    [Fact]
    public async Task DisposeAsync_WhenNothingStarted_Completes()
    {
        var fixture = new RabbitHaClusterFixture(new RecordingSink(), () => NoDocker, new StringWriter());
        await fixture.InitializeAsync();

        await fixture.DisposeAsync();
        await fixture.DisposeAsync();
    }

    [Fact]
    public void Constructor_WhenMessageSinkNull_ThrowsNamingTheParameter()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => new RabbitHaClusterFixture(null!));

        Assert.Equal("messageSink", ex.ParamName);
    }

    [Fact]
    public void DockerFact_SkipsWithTheProbesReasonExactlyWhenDockerIsUnavailable()
    {
        // The probe's answer on this machine, either way: skipped with its reason, or not skipped.
        Assert.Equal(DockerAvailability.UnavailableReason, new DockerFactAttribute().Skip);
        Assert.Equal(DockerAvailability.UnavailableReason, new DockerTheoryAttribute().Skip);
    }

    [Fact]
    public void DockerFact_KeepsTheSourceLocationForXunit()
    {
        var fact = new DockerFactAttribute();

        Assert.EndsWith(nameof(RabbitHaClusterFixtureTests) + ".cs", fact.SourceFilePath, StringComparison.Ordinal);
        Assert.True(fact.SourceLineNumber > 0);
    }

    /// <summary>A derived fixture whose builder refuses its configuration: a start that fails at once, without Docker.</summary>
    private sealed class UnbuildableClusterFixture(IMessageSink sink, TextWriter progress)
        : RabbitHaClusterFixture(sink, dockerUnavailableReason: () => null, progress)
    {
        public ArgumentOutOfRangeException? Failure { get; private set; }

        protected override ContainerClusterBuilder Configure(ContainerClusterBuilder builder)
        {
            try
            {
                return builder.WithRabbitMqProfile((RabbitMqProfile)5);
            }
            catch (ArgumentOutOfRangeException ex)
            {
                Failure = ex;
                throw;
            }
        }
    }

    private sealed class RecordingSink : IMessageSink
    {
        public ConcurrentQueue<IMessageSinkMessage> Messages { get; } = new();

        public IEnumerable<string> Lines => Messages.OfType<IDiagnosticMessage>().Select(m => m.Message);

        public bool OnMessage(IMessageSinkMessage message)
        {
            Messages.Enqueue(message);
            return true;
        }
    }
}
