using System.Text;
using System.Text.Json;
using Xunit;

namespace RabbitHa.Testing.Tests;

/// <summary>The files of docker/ as the fixture uses them: templates without credentials of their own.</summary>
[Trait("Category", "Unit")]
public sealed class ClusterResourcesTests
{
    [Theory]
    [InlineData(RabbitMqProfile.RabbitMq3)]
    [InlineData(RabbitMqProfile.RabbitMq4)]
    public void Definitions_DeclareTheGeneratedUser_AsTheOnlyUser(RabbitMqProfile profile)
    {
        var credentials = ClusterCredentials.Generate();

        using var definitions = JsonDocument.Parse(ClusterResources.Definitions(credentials, profile));

        var user = Assert.Single(definitions.RootElement.GetProperty("users").EnumerateArray());
        Assert.Equal(credentials.UserName, user.GetProperty("name").GetString());
        Assert.Equal(credentials.Password, user.GetProperty("password").GetString());
        Assert.Equal(["administrator"], user.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        var permission = Assert.Single(definitions.RootElement.GetProperty("permissions").EnumerateArray());
        Assert.Equal(credentials.UserName, permission.GetProperty("user").GetString());
    }

    [Theory]
    [InlineData(RabbitMqProfile.RabbitMq3)]
    [InlineData(RabbitMqProfile.RabbitMq4)]
    public void Definitions_KeepNoPlaceholderAndNoGuest(RabbitMqProfile profile)
    {
        var text = Encoding.UTF8.GetString(ClusterResources.Definitions(ClusterCredentials.Generate(), profile));

        Assert.DoesNotContain("@RABBITHA_", text, StringComparison.Ordinal);
        Assert.DoesNotContain("guest", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Definitions_ForRabbitMq3_MirrorEveryQueueOnEveryNode()
    {
        using var definitions = JsonDocument.Parse(ClusterResources.Definitions(ClusterCredentials.Generate(), RabbitMqProfile.RabbitMq3));

        var policy = Assert.Single(definitions.RootElement.GetProperty("policies").EnumerateArray());
        Assert.Equal("ha-all", policy.GetProperty("name").GetString());
        Assert.Equal("^", policy.GetProperty("pattern").GetString());
        Assert.Equal("all", policy.GetProperty("definition").GetProperty("ha-mode").GetString());
        Assert.Equal("automatic", policy.GetProperty("definition").GetProperty("ha-sync-mode").GetString());
    }

    [Fact]
    public void Definitions_ForRabbitMq4_HaveNoHaPolicy_AndMakeQuorumTheDefaultQueueType()
    {
        var text = Encoding.UTF8.GetString(ClusterResources.Definitions(ClusterCredentials.Generate(), RabbitMqProfile.RabbitMq4));
        using var definitions = JsonDocument.Parse(text);

        // RabbitMQ 4.0 refuses to boot with any ha-* key: "are not recognised policy settings".
        Assert.Empty(definitions.RootElement.GetProperty("policies").EnumerateArray());
        Assert.DoesNotContain("\"ha-", text, StringComparison.Ordinal);
        var vhost = Assert.Single(definitions.RootElement.GetProperty("vhosts").EnumerateArray());
        Assert.Equal("/", vhost.GetProperty("name").GetString());
        // 4.0.5 reads the default queue type from the metadata only; a default_queue_type beside "name" is ignored.
        Assert.Equal("quorum", vhost.GetProperty("metadata").GetProperty("default_queue_type").GetString());
    }

    [Fact]
    public void HaProxyConfig_TakesTheStatsLoginFromTheVariablesTheFixtureSets()
    {
        var config = Encoding.UTF8.GetString(ClusterResources.HaProxyConfig);

        Assert.Contains(
            $"stats auth \"${{{ClusterResources.ProxyStatsUserVariable}}}:${{{ClusterResources.ProxyStatsPasswordVariable}}}\"",
            config,
            StringComparison.Ordinal);
        Assert.DoesNotContain("admin:admin", config, StringComparison.Ordinal);
    }

    [Fact]
    public void Credentials_ToString_LeavesThePasswordsOut()
    {
        var credentials = ClusterCredentials.Generate();

        var text = credentials.ToString();

        Assert.Contains(credentials.UserName, text, StringComparison.Ordinal);
        Assert.DoesNotContain(credentials.Password, text, StringComparison.Ordinal);
        Assert.DoesNotContain(credentials.ProxyStatsPassword, text, StringComparison.Ordinal);
    }
}
