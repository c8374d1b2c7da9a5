using Docker.DotNet.Models;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using Microsoft.Extensions.Logging.Abstractions;

namespace RabbitHa.Testing.Containers;

/// <summary>What the cluster runs: a container per node and HAProxy's, every port published on 127.0.0.1 only.</summary>
public sealed partial class ContainerCluster
{
    // The cookie must belong to the rabbitmq user and be readable by it alone, or the node exits with
    // status 0. The user's id differs between images, so the container installs its own copy at start
    // (as docker/docker-compose.yml does; there, the entrypoint also fills in definitions.json, which the fixture
    // renders itself).
    private static readonly string[] NodeEntrypoint =
    [
        "/bin/sh",
        "-c",
        "install -o rabbitmq -g rabbitmq -m 400 /run/rabbitha/erlang.cookie /var/lib/rabbitmq/.erlang.cookie && exec docker-entrypoint.sh rabbitmq-server",
    ];

    private IContainer BuildNode(int node)
    {
        var host = ClusterResources.HostName(node);
        var builder = new ContainerBuilder(_configuration.RabbitMqImage)
            .WithName($"rabbitha-{Id}-{host}")
            .WithHostname(host)
            .WithNetwork(_network!)
            .WithNetworkAliases(host)
            .WithLabel(ClusterLabel, Id)
            .WithPortBinding(_nodeAmqpPorts[node - 1], ClusterResources.AmqpPort)
            .WithPortBinding(_nodeManagementPorts[node - 1], ClusterResources.ManagementPort)
            .WithCreateParameterModifier(PublishOnLoopbackOnly)
            .WithEntrypoint(NodeEntrypoint)
            .WithResourceMapping(ClusterResources.ErlangCookie, "/run/rabbitha/erlang.cookie")
            .WithResourceMapping(ClusterResources.NodeRabbitMqConf(TlsEnabled), "/etc/rabbitmq/rabbitmq.conf")
            .WithResourceMapping(ClusterResources.AdvancedConfig, "/etc/rabbitmq/advanced.config")
            .WithResourceMapping(ClusterResources.EnabledPlugins, "/etc/rabbitmq/enabled_plugins")
            .WithResourceMapping(ClusterResources.Definitions(_credentials, RabbitMqProfile), "/etc/rabbitmq/definitions.json")
            .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged(NodeStartedMessage))
            .WithLogger(NullLogger.Instance);
        return WithNodeTls(builder, node).Build();
    }

    private IContainer BuildProxy() =>
        WithProxyTls(new ContainerBuilder(_configuration.HaProxyImage)
            .WithName($"rabbitha-{Id}-haproxy")
            .WithHostname("haproxy")
            .WithNetwork(_network!)
            .WithNetworkAliases("haproxy")
            .WithLabel(ClusterLabel, Id)
            .WithPortBinding(_proxyAmqpPort, ClusterResources.AmqpPort)
            .WithPortBinding(_proxyStatsPort, ClusterResources.ProxyStatsPort)
            .WithCreateParameterModifier(PublishOnLoopbackOnly)
            .WithEnvironment(ClusterResources.ProxyStatsUserVariable, _credentials.ProxyStatsUserName)
            .WithEnvironment(ClusterResources.ProxyStatsPasswordVariable, _credentials.ProxyStatsPassword)
            .WithResourceMapping(ClusterResources.HaProxyConfig, "/usr/local/etc/haproxy/haproxy.cfg")
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(request => request
                .ForPort(ClusterResources.ProxyStatsPort)
                .ForPath(ClusterResources.ProxyStatsPath)
                .WithBasicAuthentication(_credentials.ProxyStatsUserName, _credentials.ProxyStatsPassword)))
            .WithLogger(NullLogger.Instance))
            .Build();

    /// <summary>Every binding on 127.0.0.1: Testcontainers publishes on 0.0.0.0 (and Docker on [::] too), which puts a
    /// broker with an administrator on every network the machine is on.</summary>
    private static void PublishOnLoopbackOnly(CreateContainerParameters parameters)
    {
        if (parameters.HostConfig?.PortBindings is not { } portBindings)
        {
            return;
        }

        foreach (var binding in portBindings.Values.SelectMany(bindings => bindings))
        {
            binding.HostIP = Loopback;
        }
    }
}
