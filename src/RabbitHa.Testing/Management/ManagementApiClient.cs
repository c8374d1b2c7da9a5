using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace RabbitHa.Testing.Management;

/// <summary>
/// Reads cluster state from RabbitMQ's management HTTP API and HAProxy's statistics page.
/// Every call names the node it asks, so that the caller decides what to do when that node is down.
/// </summary>
internal sealed class ManagementApiClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly AuthenticationHeaderValue _rabbitAuth;
    private readonly AuthenticationHeaderValue _proxyAuth;

    public ManagementApiClient(ClusterCredentials credentials, TimeSpan requestTimeout)
    {
        _http = new HttpClient { Timeout = requestTimeout };
        _rabbitAuth = Basic(credentials.UserName, credentials.Password);
        _proxyAuth = Basic(credentials.ProxyStatsUserName, credentials.ProxyStatsPassword);
    }

    public async Task<IReadOnlyList<ClusterNodeState>> GetNodesAsync(Uri managementUri, CancellationToken cancellationToken)
    {
        using var document = await GetJsonAsync(new Uri(managementUri, "api/nodes?columns=name,running,partitions,mem_used,mem_limit,mem_alarm"), cancellationToken)
            .ConfigureAwait(false);
        var nodes = new List<ClusterNodeState>();
        foreach (var node in document!.RootElement.EnumerateArray())
        {
            nodes.Add(new ClusterNodeState(
                node.GetProperty("name").GetString()!,
                node.TryGetProperty("running", out var running) && running.GetBoolean(),
                Strings(node, "partitions"))
            {
                MemoryUsed = node.TryGetProperty("mem_used", out var used) && used.ValueKind == System.Text.Json.JsonValueKind.Number ? used.GetInt64() : 0,
                MemoryLimit = node.TryGetProperty("mem_limit", out var limit) && limit.ValueKind == System.Text.Json.JsonValueKind.Number ? limit.GetInt64() : 0,
                MemoryAlarm = node.TryGetProperty("mem_alarm", out var alarm) && alarm.ValueKind == System.Text.Json.JsonValueKind.True,
            });
        }

        return nodes;
    }

    /// <summary>The version of RabbitMQ the node runs, e.g. <c>4.0.5</c>.</summary>
    public async Task<string> GetRabbitMqVersionAsync(Uri managementUri, CancellationToken cancellationToken)
    {
        using var document = await GetJsonAsync(new Uri(managementUri, "api/overview"), cancellationToken).ConfigureAwait(false);
        return OptionalString(document!.RootElement, "rabbitmq_version")
            ?? throw new InvalidOperationException($"The management API at {managementUri} reported no rabbitmq_version.");
    }

    public async Task<QueueReplicaState?> GetQueueAsync(Uri managementUri, string virtualHost, string queue, CancellationToken cancellationToken)
    {
        var path = $"api/queues/{Uri.EscapeDataString(virtualHost)}/{Uri.EscapeDataString(queue)}";
        using var document = await GetJsonAsync(new Uri(managementUri, path), cancellationToken).ConfigureAwait(false);
        if (document is null)
        {
            return null;
        }

        var root = document.RootElement;
        var type = root.TryGetProperty("type", out var typeElement) ? typeElement.GetString() ?? "classic" : "classic";
        if (type == "quorum")
        {
            var leader = OptionalString(root, "leader");
            var followers = Strings(root, "members").Where(m => m != leader).ToArray();
            var online = Strings(root, "online").Where(m => m != leader).ToArray();
            return new QueueReplicaState(queue, type, leader, OptionalString(root, "policy"), followers, online, Long(root, "messages"));
        }

        return new QueueReplicaState(
            queue,
            type,
            OptionalString(root, "node"),
            OptionalString(root, "policy"),
            Strings(root, "slave_nodes"),
            Strings(root, "synchronised_slave_nodes"),
            Long(root, "messages"));
    }

    public async Task<string?> FindConnectionNodeAsync(Uri managementUri, string clientProvidedName, CancellationToken cancellationToken)
    {
        using var document = await GetJsonAsync(new Uri(managementUri, "api/connections?columns=node,user_provided_name"), cancellationToken)
            .ConfigureAwait(false);
        foreach (var connection in document!.RootElement.EnumerateArray())
        {
            if (OptionalString(connection, "user_provided_name") == clientProvidedName)
            {
                return OptionalString(connection, "node");
            }
        }

        return null;
    }

    public async Task<IReadOnlyList<ProxyBackendState>> GetProxyBackendsAsync(Uri statsUri, string backend, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(statsUri, statsUri.AbsolutePath + ";csv"));
        request.Headers.Authorization = _proxyAuth;
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var csv = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return ProxyStatsCsv.ParseServers(csv, backend);
    }

    public void Dispose() => _http.Dispose();

    private async Task<JsonDocument?> GetJsonAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Authorization = _rabbitAuth;
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            return await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    private static AuthenticationHeaderValue Basic(string userName, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(userName + ":" + password)));

    private static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long Long(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : 0;

    private static string[] Strings(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Select(v => v.GetString()!).ToArray()
            : [];
}
