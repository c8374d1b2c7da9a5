using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using RabbitHa.Testing.Xunit;
using RabbitMQ.Client;
using Xunit;

namespace RabbitHa.Testing.Tests;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ClusterStateTests(RabbitHaClusterFixture fixture)
{
    private IRabbitHaCluster Cluster => fixture.Cluster;

    [DockerFact]
    public async Task Nodes_AfterStart_AreRunningInOneClusterWithoutPartition()
    {
        var nodes = await Cluster.GetNodeStatesAsync();

        Assert.Equal(["rabbit@rmq1", "rabbit@rmq2", "rabbit@rmq3"], nodes.Select(n => n.NodeName).Order());
        Assert.All(nodes, n => Assert.True(n.IsRunning, $"{n.NodeName} is not running"));
        Assert.All(nodes, n => Assert.Empty(n.Partitions));
    }

    [DockerFact]
    public async Task Proxy_AfterStart_ReportsEveryNodeUp()
    {
        var backends = await Cluster.Proxy.GetBackendsAsync();

        Assert.Equal(["rmq1", "rmq2", "rmq3"], backends.Select(b => b.ServerName));
        Assert.All(backends, b => Assert.Equal("UP", b.Status));
    }

    [DockerFact]
    public async Task Nodes_RunTheRabbitMqLineOfTheProfile_WithItsReplicationPolicies()
    {
        using var http = new HttpClient();

        using var overview = await GetJsonAsync(http, "api/overview");
        using var policies = await GetJsonAsync(http, "api/policies");

        var version = overview.RootElement.GetProperty("rabbitmq_version").GetString()!;
        Assert.StartsWith($"{(int)Cluster.RabbitMqProfile}.", version, StringComparison.Ordinal);
        var names = policies.RootElement.EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToArray();
        if (Cluster.RabbitMqProfile == RabbitMqProfile.RabbitMq3)
        {
            Assert.Equal(["ha-all"], names);
        }
        else
        {
            // Classic mirroring is gone in RabbitMQ 4: replication comes from the default queue type, not a policy.
            Assert.Empty(names);
            using var vhost = await GetJsonAsync(http, "api/vhosts/%2F");
            Assert.Equal("quorum", vhost.RootElement.GetProperty("default_queue_type").GetString());
        }
    }

    /// <summary>
    /// A durable queue declared the plain way (no <c>x-queue-type</c>) has a copy on every node: on RabbitMQ 3 a classic
    /// queue mirrored by <c>ha-all</c>; on RabbitMQ 4 a quorum queue, the virtual host's default type.
    /// </summary>
    [DockerFact]
    public async Task Queue_DeclaredThroughProxyWithoutType_IsReplicatedOnEveryNode()
    {
        await using var testQueue = await TestQueue.DeclareAsync(Cluster.AmqpUri, "replicated");
        var queue = testQueue.Name;

        var (type, policy) = Cluster.RabbitMqProfile == RabbitMqProfile.RabbitMq3 ? ("classic", "ha-all") : ("quorum", (string?)null);

        QueueReplicaState? state = null;
        // The management API reports the mirrors and the policy with separate statistics: wait for both.
        await Eventually.HoldsAsync(
            async () => (state = await Cluster.GetQueueReplicasAsync(queue)) is { SynchronisedMirrors.Count: 2 } s && s.Type == type && s.Policy == policy,
            TimeSpan.FromSeconds(30),
            $"queue {queue} is a {type} queue with policy {policy ?? "none"} and 2 synchronised mirrors or online followers");

        Assert.Equal(["rabbit@rmq1", "rabbit@rmq2", "rabbit@rmq3"], state!.Mirrors.Append(state.LeaderNode).Order());
        Assert.DoesNotContain(state.LeaderNode, state.SynchronisedMirrors);
    }

    [DockerFact]
    public async Task Message_PublishedThroughProxy_CanBeReadFromAnyNode()
    {
        var queue = "any-node-" + Guid.NewGuid().ToString("N");
        var body = Encoding.UTF8.GetBytes("hello from the proxy");
        await using (var viaProxy = await Amqp.ConnectAsync(Cluster.AmqpUri, "publisher"))
        {
            await Amqp.DeclareDurableQueueAsync(viaProxy, queue);
            await Amqp.PublishConfirmedAsync(viaProxy, queue, body);
        }

        await using var direct = await Amqp.ConnectAsync(Cluster.Nodes[2].AmqpUri, "reader on rmq3");
        await using var channel = await direct.CreateChannelAsync();
        var message = await channel.BasicGetAsync(queue, autoAck: true);

        Assert.NotNull(message);
        Assert.Equal(body, message.Body.ToArray());
        await channel.QueueDeleteAsync(queue);
    }

    [DockerFact]
    public async Task FindConnectionNode_RightAfterConnecting_WaitsForTheBrokerToListIt()
    {
        var name = "find-me-" + Guid.NewGuid().ToString("N");
        await using var connection = await Amqp.ConnectAsync(Cluster.Nodes[1].AmqpUri, name);

        var node = await Cluster.FindConnectionNodeAsync(name);

        Assert.Same(Cluster.Nodes[1], node);
    }

    [DockerFact]
    public async Task FindConnectionNode_ForUnknownName_IsNullOnceTheTimeoutHasPassed()
    {
        var name = "no-such-connection-" + Guid.NewGuid().ToString("N");

        var once = Stopwatch.StartNew();
        Assert.Null(await Cluster.FindConnectionNodeAsync(name, TimeSpan.Zero));
        once.Stop();
        var waited = Stopwatch.StartNew();
        Assert.Null(await Cluster.FindConnectionNodeAsync(name, TimeSpan.FromSeconds(1)));
        waited.Stop();

        Assert.True(once.Elapsed < TimeSpan.FromSeconds(1), $"asking once took {once.Elapsed}");
        Assert.InRange(waited.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
    }

    [DockerFact]
    public async Task QueueReplicas_ForMissingQueue_IsNull()
    {
        Assert.Null(await Cluster.GetQueueReplicasAsync("no-such-queue-" + Guid.NewGuid().ToString("N")));
    }

    private async Task<JsonDocument> GetJsonAsync(HttpClient http, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Cluster.Nodes[0].ManagementUri, path));
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Cluster.UserName}:{Cluster.Password}")));
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }
}
