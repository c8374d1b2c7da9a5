using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Topology;
using RabbitHa.Client.Tests.TestSupport;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Tests.Topology;

/// <summary>The registry of refused declarations and its background retry, against a stand-in broker.</summary>
[Trait("Category", "Unit")]
public sealed class TopologyRefusalsTests
{
    private static readonly TopologyRefusal Inequivalent =
        new(Constants.PreconditionFailed, "PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue 'orders'");

    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(10);

    [Fact]
    public async Task Refused_IsReportedLoggedAsErrorNamingEntityAndReasonAndCounted()
    {
        using var logs = new CapturingLoggerProvider();
        using var metrics = new RabbitHaMetrics();
        var measurements = new List<(long Value, Dictionary<string, object?> Tags)>();
        using MeterListener listener = Listen(metrics, measurements);
        await using var refusals = new TopologyRefusals("orders-api", new DeclaringBroker().OpenChannelAsync, metrics,
            logs.CreateLogger("test"), delay: TimeSpan.FromMinutes(1), maxDelay: TimeSpan.FromMinutes(1));

        refusals.Refused(TopologyDeclaration.Queue("orders", true, false, false, null), Inequivalent);

        TopologyRefusals.RefusedDeclaration refused = Assert.Single(refusals.Snapshot());
        Assert.Equal("queue 'orders'", refused.Entity);
        Assert.Equal(Inequivalent, refused.Refusal);
        Assert.Equal(1, refused.Refusals);
        string line = Assert.Single(logs.Lines, l => l.Contains("[TopologyRefused]", StringComparison.Ordinal));
        Assert.StartsWith("Error", line, StringComparison.Ordinal);
        Assert.Contains("queue 'orders'", line, StringComparison.Ordinal);
        Assert.Contains("'orders-api'", line, StringComparison.Ordinal);
        Assert.Contains("406 PRECONDITION_FAILED - inequivalent arg 'x-max-length'", line, StringComparison.Ordinal);
        (long value, Dictionary<string, object?> tags) = Assert.Single(measurements);
        Assert.Equal(1, value);
        Assert.Equal("orders-api", tags["rabbitha.connection.name"]);
        Assert.Equal("queue 'orders'", tags["rabbitha.topology.entity"]);
        Assert.Equal(406, tags["rabbitha.topology.reply_code"]);
    }

    [Fact]
    public async Task Report_WhenDeclaredOnANewConnection_IsNoLongerRefused()
    {
        using var logs = new CapturingLoggerProvider();
        await using var refusals = new TopologyRefusals("app", new DeclaringBroker().OpenChannelAsync, new RabbitHaMetrics(),
            logs.CreateLogger("test"), delay: TimeSpan.FromMinutes(1), maxDelay: TimeSpan.FromMinutes(1));
        TopologyDeclaration orders = TopologyDeclaration.Queue("orders", true, false, false, null);
        TopologyDeclaration invoices = TopologyDeclaration.Queue("invoices", true, false, false, null);
        refusals.Report([(orders, Inequivalent), (invoices, null)]);
        Assert.Equal(["queue 'orders'"], refusals.Snapshot().Select(r => r.Entity));

        refusals.Report([(orders, null), (invoices, null)]);

        Assert.Empty(refusals.Snapshot());
        Assert.Contains(logs.Lines, l => l.StartsWith("Information", StringComparison.Ordinal)
            && l.Contains("[TopologyDeclaredAfterRefusal]", StringComparison.Ordinal) && l.Contains("queue 'orders'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Retry_WhenBrokerAcceptsLater_DeclaresAgainAndLogsTheSuccess()
    {
        using var logs = new CapturingLoggerProvider();
        var broker = new DeclaringBroker();
        broker.Refuse("queue:orders");
        await using TopologyRefusals refusals = RetryingOften(broker, logs);

        refusals.Refused(TopologyDeclaration.Queue("orders", true, false, false, null), Inequivalent);
        await Eventually.HoldsAsync(() => broker.Attempted.Count >= 2, "the refused queue is declared again, and refused again");
        Assert.Single(refusals.Snapshot());
        Assert.Contains(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("[TopologyStillRefused]", StringComparison.Ordinal));

        broker.Accept("queue:orders");
        await Eventually.HoldsAsync(() => refusals.Snapshot().Count == 0, "the queue is declared once the broker accepts it");

        Assert.Contains("queue:orders", broker.Declared);
        Assert.Contains(logs.Lines, l => l.StartsWith("Information", StringComparison.Ordinal)
            && l.Contains("[TopologyDeclaredAfterRefusal]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Retry_DeclaresExchangesThenQueuesThenBindings()
    {
        var broker = new DeclaringBroker();
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TopologyRefusals refusals = RetryingOftenOnceOpen(broker, open.Task);

        refusals.Refused(TopologyDeclaration.QueueBinding("orders", "orders.x", "key", null), new TopologyRefusal(Constants.NotFound, "NOT_FOUND"));
        refusals.Refused(TopologyDeclaration.Queue("orders", true, false, false, null), Inequivalent);
        refusals.Refused(TopologyDeclaration.Exchange("orders.x", "direct", true, false, null), Inequivalent);
        open.SetResult();
        await Eventually.HoldsAsync(() => refusals.Snapshot().Count == 0, "everything is declared");

        Assert.Equal(["exchange:orders.x", "queue:orders", "qbind:orders<-orders.x"], broker.Declared);
    }

    [Fact]
    public async Task Retry_WhileTheConnectionIsNotOpen_DeclaresNothing()
    {
        var broker = new DeclaringBroker();
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TopologyRefusals refusals = RetryingOftenOnceOpen(broker, open.Task);

        refusals.Refused(TopologyDeclaration.Queue("orders", true, false, false, null), Inequivalent);
        await Task.Delay(200);

        Assert.Empty(broker.Attempted);
        Assert.Single(refusals.Snapshot());

        open.SetResult();
        await Eventually.HoldsAsync(() => refusals.Snapshot().Count == 0, "the queue is declared once the connection is open");
    }

    [Fact]
    public async Task Retry_WhenTheConnectionIsLostMidDeclare_TriesAgainLater()
    {
        using var logs = new CapturingLoggerProvider();
        var broker = new DeclaringBroker();
        broker.LoseConnectionAt("queue:orders");
        await using TopologyRefusals refusals = RetryingOften(broker, logs);

        refusals.Refused(TopologyDeclaration.Queue("orders", true, false, false, null), Inequivalent);
        await Eventually.HoldsAsync(() => logs.AllText.Contains("[TopologyRetryInterrupted]", StringComparison.Ordinal), "the interruption is logged");
        Assert.Single(refusals.Snapshot());

        broker.Accept("queue:orders");
        await Eventually.HoldsAsync(() => refusals.Snapshot().Count == 0, "the queue is declared once the connection is back");

        Assert.DoesNotContain(logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("[TopologyRetryFailed]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Retry_WhenSomethingUnexpectedFails_LogsAnErrorAndGoesOn()
    {
        using var logs = new CapturingLoggerProvider();
        var broker = new DeclaringBroker();
        int calls = 0;
        await using var refusals = new TopologyRefusals("app", token => Interlocked.Increment(ref calls) == 1
                ? throw new InvalidOperationException("a bug")
                : broker.OpenChannelAsync(token),
            new RabbitHaMetrics(), logs.CreateLogger("test"), delay: Short, maxDelay: Short);

        refusals.Refused(TopologyDeclaration.Queue("orders", true, false, false, null), Inequivalent);
        await Eventually.HoldsAsync(() => refusals.Snapshot().Count == 0, "the queue is declared after the failure");

        string line = Assert.Single(logs.Lines, l => l.Contains("[TopologyRetryFailed]", StringComparison.Ordinal));
        Assert.StartsWith("Error", line, StringComparison.Ordinal);
        Assert.Contains("a bug", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DisposeAsync_StopsTheRetryAndIgnoresLaterRefusals()
    {
        var broker = new DeclaringBroker();
        broker.Refuse("queue:orders");
        TopologyRefusals refusals = RetryingOften(broker, new CapturingLoggerProvider());
        refusals.Refused(TopologyDeclaration.Queue("orders", true, false, false, null), Inequivalent);
        await Eventually.HoldsAsync(() => broker.Attempted.Count >= 1, "the retry runs");

        await refusals.DisposeAsync();
        int attempts = broker.Attempted.Count;
        refusals.Refused(TopologyDeclaration.Queue("invoices", true, false, false, null), Inequivalent);
        await Task.Delay(100);

        Assert.Equal(attempts, broker.Attempted.Count);
        Assert.DoesNotContain(refusals.Snapshot(), r => r.Entity == "queue 'invoices'");
    }

    [Fact]
    public async Task Retry_OnAConnectionNobodyOpened_NeverConnectsItAndStopsWhenItIsClosed()
    {
        var options = new RabbitHaOptions { Host = "127.0.0.1", Port = ClosedPort.Get(), ClientProvidedName = "unit-test" };
        var connection = new RabbitHaConnection(Options.Create(options), new RabbitHaMetrics());

        connection.TopologyRefusals.Refused(TopologyDeclaration.Queue("orders", true, false, false, null), Inequivalent);
        await Task.Delay(TopologyRefusals.DefaultDelay * 1.5);

        Assert.Equal(RabbitHaConnectionState.Disconnected, connection.State);
        Assert.False(connection.WasStarted);
        Assert.Single(connection.TopologyRefusals.Snapshot());
        await connection.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(RabbitHaConnectionState.Closed, connection.State);
    }

    /// <summary>The registry of the connection 'app' over <paramref name="broker"/>, retrying every <see cref="Short"/>.</summary>
    private static TopologyRefusals RetryingOften(DeclaringBroker broker, CapturingLoggerProvider logs) =>
        new("app", broker.OpenChannelAsync, new RabbitHaMetrics(), logs.CreateLogger("test"), delay: Short, maxDelay: Short);

    /// <summary>As <see cref="RetryingOften"/>, but no channel opens before <paramref name="open"/> completes.</summary>
    private static TopologyRefusals RetryingOftenOnceOpen(DeclaringBroker broker, Task open) =>
        new("app", async token =>
        {
            await open.WaitAsync(token);
            return await broker.OpenChannelAsync(token);
        }, new RabbitHaMetrics(), new CapturingLoggerProvider().CreateLogger("test"), delay: Short, maxDelay: Short);

    private static MeterListener Listen(RabbitHaMetrics metrics, List<(long Value, Dictionary<string, object?> Tags)> measurements)
    {
        var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter) && instrument.Name == RabbitHaDiagnostics.TopologyRefusalsInstrument)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            lock (measurements)
            {
                measurements.Add((value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
            }
        });
        listener.Start();
        return listener;
    }
}
