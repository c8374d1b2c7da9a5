using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitHa.Testing;
using RabbitHa.Testing.Xunit;
using RabbitMQ.Client;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Client.IntegrationTests;

/// <summary>
/// Issue 11, item 3: a queue the application declares is re-created behind its back with other arguments (a length
/// limit here; a classic-to-quorum migration is the common case), then the application's node dies. RabbitMQ.Client's
/// topology recovery alone would take the broker's refusal for a lost connection and stay Recovering for ever.
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", "Chaos")]
public sealed class TopologyDriftTests(RabbitHaClusterFixture fixture, ITestOutputHelper output)
{
    // How soon after the kill the application must be working again, refusal reported.
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(3);

    // The longest background retry delay (30 s, +20 % jitter), and some.
    private static readonly TimeSpan RedeclaredWithin = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan HealthyTimeout = TimeSpan.FromSeconds(90);

    private IRabbitHaCluster Cluster => fixture.Cluster;

    [DockerFact]
    public async Task Recovery_WhenADeclaredQueueWasRecreatedWithOtherArguments_OpensReportsItAndDeclaresItOnceFixed()
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        string queueA = "drift-a-" + id, queueB = "drift-b-" + id;
        using var logs = new RecordingLoggerProvider(output);
        using IHost host = BuildHost("drift-" + id, logs, t =>
        {
            t.Queues.Add(new RabbitHaQueueDefinition { Name = queueA });
            t.Queues.Add(new RabbitHaQueueDefinition { Name = queueB });
        });
        await host.StartAsync();
        var connection = host.Services.GetRequiredService<IRabbitHaConnection>();
        var publisher = host.Services.GetRequiredService<IRabbitHaPublisher>();
        try
        {
            Assert.Equal(HealthStatus.Healthy, (await ConnectionProbe.CheckHealthAsync(host.Services)).Status);
            var node = await FindNodeAsync(connection);
            var other = node % Cluster.NodeCount + 1;

            // Someone else deletes A and declares it with a length limit, on a node that stays up.
            await WithChannelAsync(Cluster.Nodes[other - 1].AmqpUri, async channel =>
            {
                await channel.QueueDeleteAsync(queueA);
                await channel.QueueDeclareAsync(queueA, durable: true, exclusive: false, autoDelete: false,
                    arguments: new Dictionary<string, object?> { ["x-max-length"] = 10L });
            });

            var clock = Stopwatch.StartNew();
            await Cluster.Nodes[node - 1].KillAsync();
            HealthReportEntry degraded = default;
            try
            {
                await Eventually.HoldsAsync(() => Task.FromResult(connection.State == RabbitHaConnectionState.Open), Remaining(clock),
                    "the main connection is Open again, although the broker refuses queue A");
                var openAfter = clock.Elapsed;

                using (var publishing = new CancellationTokenSource(Remaining(clock)))
                {
                    await publisher.PublishAsync(string.Empty, queueB, Encoding.UTF8.GetBytes("after the drift"), cancellationToken: publishing.Token);
                }

                var confirmedAfter = clock.Elapsed;
                await Eventually.HoldsAsync(
                    async () => (degraded = await ConnectionProbe.CheckHealthAsync(host.Services)).Status == HealthStatus.Degraded
                                && degraded.Description?.Contains($"queue '{queueA}'", StringComparison.Ordinal) == true,
                    Remaining(clock),
                    "the health check is Degraded and names queue A");
                output.WriteLine($"Killed rmq{node}: Open after {openAfter.TotalSeconds:F1} s, publish to B confirmed after " +
                                 $"{confirmedAfter.TotalSeconds:F1} s, health {degraded.Status}: {degraded.Description}");
            }
            finally
            {
                await Cluster.Nodes[node - 1].StartAsync();
            }

            Assert.Contains("406 PRECONDITION_FAILED", degraded.Description ?? string.Empty, StringComparison.Ordinal);
            var refused = Assert.Single(logs.Entries("TopologyRefused"), e => e.Message.Contains($"queue '{queueA}'", StringComparison.Ordinal));
            Assert.Equal(LogLevel.Error, refused.Level);
            Assert.Contains("406", refused.Message, StringComparison.Ordinal);
            Assert.Contains("PRECONDITION_FAILED", refused.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(logs.Entries("TopologyRefused"), e => e.Message.Contains($"queue '{queueB}'", StringComparison.Ordinal));

            // Fixed by whoever re-created it: A as the application declares it. The background retry notices.
            clock.Restart();
            await WithChannelAsync(Cluster.AmqpUri, async channel =>
            {
                await channel.QueueDeleteAsync(queueA);
                await channel.QueueDeclareAsync(queueA, durable: true, exclusive: false, autoDelete: false);
            });
            await Eventually.HoldsAsync(async () => (await ConnectionProbe.CheckHealthAsync(host.Services)).Status == HealthStatus.Healthy,
                RedeclaredWithin, "the health check is Healthy again once queue A is declared");
            output.WriteLine($"Queue A fixed: Healthy again after {clock.Elapsed.TotalSeconds:F1} s.");
            Assert.Contains(logs.Entries("TopologyDeclaredAfterRefusal"), e => e.Level == LogLevel.Information
                && e.Message.Contains($"queue '{queueA}'", StringComparison.Ordinal));
            Assert.Equal(RabbitHaConnectionState.Open, connection.State);
        }
        finally
        {
            await WithChannelAsync(Cluster.AmqpUri, async channel =>
            {
                await channel.QueueDeleteAsync(queueA);
                await channel.QueueDeleteAsync(queueB);
            });
            await host.StopAsync();
        }

        await Cluster.WaitUntilHealthyAsync(HealthyTimeout);
    }

    private static TimeSpan Remaining(Stopwatch sinceKill) =>
        sinceKill.Elapsed < Within ? Within - sinceKill.Elapsed : TimeSpan.Zero;

    private static async Task WithChannelAsync(Uri uri, Func<IChannel, Task> action)
    {
        await using var side = await new ConnectionFactory { Uri = uri }.CreateConnectionAsync("drift-side");
        await using var channel = await side.CreateChannelAsync();
        await action(channel);
    }

    private async Task<int> FindNodeAsync(IRabbitHaConnection connection)
    {
        int? node = null;
        await Eventually.HoldsAsync(
            async () => (node = (await Cluster.FindConnectionNodeAsync(connection.ClientProvidedName))?.Number) is not null,
            TimeSpan.FromSeconds(15),
            $"connection '{connection.ClientProvidedName}' is listed by the management API");
        return node!.Value;
    }

    private IHost BuildHost(string clientProvidedName, ILoggerProvider logs, Action<RabbitHaTopologyOptions> topology) =>
        RabbitHaTestHost.Build(Cluster.AmqpUri, clientProvidedName, logs, rabbitHa => rabbitHa.AddTopology(topology).AddPublisher());
}
