using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Docker.DotNet.Models;
using RabbitHa.Testing.Containers;
using RabbitHa.Testing.Xunit;
using RabbitMQ.Client.Exceptions;
using Xunit;

namespace RabbitHa.Testing.Tests;

/// <summary>Who can reach the cluster the fixture starts, and with which credentials: this machine only, with the generated ones only.</summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ClusterAccessTests(RabbitHaClusterFixture fixture)
{
    private IRabbitHaCluster Cluster => fixture.Cluster;

    [DockerFact]
    public async Task EveryPublishedPort_OfEveryContainer_IsBoundToLoopbackOnly()
    {
        var clusterId = ((ContainerCluster)Cluster).Id;
        using var docker = DockerAvailability.CreateClient();
        var containers = await docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{ContainerCluster.ClusterLabel}={clusterId}"] = true },
            },
        });

        Assert.Equal(4, containers.Count);
        var bindings = new List<(string Container, string Port, string HostIp)>();
        foreach (var container in containers)
        {
            var inspected = await docker.Containers.InspectContainerAsync(container.ID);
            // Both what was asked for (HostConfig) and what Docker bound (NetworkSettings): for 0.0.0.0 Docker binds [::] as well.
            bindings.AddRange(inspected.HostConfig!.PortBindings!
                .SelectMany(p => p.Value.Select(b => (inspected.Name, "asked " + p.Key, b.HostIP))));
            bindings.AddRange(inspected.NetworkSettings!.Ports!
                .Where(p => p.Value is not null)
                .SelectMany(p => p.Value.Select(b => (inspected.Name, "bound " + p.Key, b.HostIP))));
        }

        // Two ports asked for and bound on each of the four containers.
        Assert.Equal(16, bindings.Count);
        Assert.All(bindings, b => Assert.True(b.HostIp == "127.0.0.1", $"{b.Container} {b.Port} on '{b.HostIp}'"));
    }

    [DockerFact]
    public async Task Guest_ThroughProxy_IsRefused()
    {
        var guest = new UriBuilder(Cluster.AmqpUri) { UserName = "guest", Password = "guest" }.Uri;

        var ex = await Assert.ThrowsAsync<BrokerUnreachableException>(() => Amqp.ConnectAsync(guest, "guest"));

        Assert.IsType<AuthenticationFailureException>(ex.InnerException);
    }

    [DockerFact]
    public async Task GeneratedUser_ThroughProxy_IsAccepted()
    {
        await using var connection = await Amqp.ConnectAsync(Cluster.AmqpUri, "generated user");

        Assert.True(connection.IsOpen);
        Assert.NotEqual("guest", Cluster.UserName);
    }

    [DockerFact]
    public async Task ManagementApi_KnowsOnlyTheGeneratedUser_AndRefusesGuest()
    {
        using var http = new HttpClient();
        var users = new Uri(Cluster.Nodes[0].ManagementUri, "api/users");

        using var asGuest = await GetAsync(http, users, "guest", "guest");
        using var asUser = await GetAsync(http, users, Cluster.UserName, Cluster.Password);

        Assert.Equal(HttpStatusCode.Unauthorized, asGuest.StatusCode);
        asUser.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await asUser.Content.ReadAsStringAsync());
        Assert.Equal([Cluster.UserName], document.RootElement.EnumerateArray().Select(u => u.GetProperty("name").GetString()));
    }

    [DockerFact]
    public async Task ProxyStats_RefusesTheOldLogin_AndAcceptsTheGeneratedOne()
    {
        using var http = new HttpClient();

        using var asAdmin = await GetAsync(http, Cluster.Proxy.StatsUri, "admin", "admin");
        using var asGenerated = await GetAsync(http, Cluster.Proxy.StatsUri, Cluster.Proxy.StatsUserName, Cluster.Proxy.StatsPassword);

        Assert.Equal(HttpStatusCode.Unauthorized, asAdmin.StatusCode);
        Assert.Equal(HttpStatusCode.OK, asGenerated.StatusCode);
    }

    private static async Task<HttpResponseMessage> GetAsync(HttpClient http, Uri uri, string userName, string password)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{userName}:{password}")));
        return await http.SendAsync(request);
    }
}
