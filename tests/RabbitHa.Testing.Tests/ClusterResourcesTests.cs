using System.Text;
using System.Text.Json;
using Xunit;

namespace RabbitHa.Testing.Tests;

/// <summary>The files of docker/ as the fixture uses them: templates without credentials of their own.</summary>
[Trait("Category", "Unit")]
public sealed class ClusterResourcesTests
{
    [Fact]
    public void Definitions_DeclareTheGeneratedUser_AsTheOnlyUser()
    {
        var credentials = ClusterCredentials.Generate();

        using var definitions = JsonDocument.Parse(ClusterResources.Definitions(credentials));

        var user = Assert.Single(definitions.RootElement.GetProperty("users").EnumerateArray());
        Assert.Equal(credentials.UserName, user.GetProperty("name").GetString());
        Assert.Equal(credentials.Password, user.GetProperty("password").GetString());
        Assert.Equal(["administrator"], user.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        var permission = Assert.Single(definitions.RootElement.GetProperty("permissions").EnumerateArray());
        Assert.Equal(credentials.UserName, permission.GetProperty("user").GetString());
    }

    [Fact]
    public void Definitions_KeepNoPlaceholderAndNoGuest()
    {
        var text = Encoding.UTF8.GetString(ClusterResources.Definitions(ClusterCredentials.Generate()));

        Assert.DoesNotContain("@RABBITHA_", text, StringComparison.Ordinal);
        Assert.DoesNotContain("guest", text, StringComparison.Ordinal);
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
