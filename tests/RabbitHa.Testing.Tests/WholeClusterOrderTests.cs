using RabbitHa.Testing.Containers;
using Xunit;

namespace RabbitHa.Testing.Tests;

/// <summary>The orders the whole-cluster operations take are checked before anything is stopped or started.</summary>
[Trait("Category", "Unit")]
public sealed class WholeClusterOrderTests
{
    public static TheoryData<string> NotEveryNodeOnce => new() { "1,2", "1,1,2", "1,2,4", "0,1,2", "3,2,1,1" };

    [Theory]
    [MemberData(nameof(NotEveryNodeOnce))]
    public async Task StopAllNodes_WithAnOrderThatDoesNotNameEveryNodeOnce_ThrowsNamingTheOrder(string nodes)
    {
        int[] order = [.. nodes.Split(',').Select(n => int.Parse(n, System.Globalization.CultureInfo.InvariantCulture))];
        await using var cluster = new ContainerClusterBuilder().Build();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => cluster.StopAllNodesAsync(order));

        Assert.Equal("order", ex.ParamName);
        Assert.Contains($"[{string.Join(", ", order)}]", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(NotEveryNodeOnce))]
    public async Task StartAllNodes_WithAnOrderThatDoesNotNameEveryNodeOnce_ThrowsNamingTheOrder(string nodes)
    {
        int[] order = [.. nodes.Split(',').Select(n => int.Parse(n, System.Globalization.CultureInfo.InvariantCulture))];
        await using var cluster = new ContainerClusterBuilder().Build();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => cluster.StartAllNodesAsync(order));

        Assert.Equal("order", ex.ParamName);
    }

    [Fact]
    public async Task StartAllNodes_WithANegativeInterval_ThrowsNamingTheInterval()
    {
        await using var cluster = new ContainerClusterBuilder().Build();

        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => cluster.StartAllNodesAsync([3, 2, 1], TimeSpan.FromSeconds(-1)));

        Assert.Equal("interval", ex.ParamName);
    }

    [Fact]
    public async Task StartAllNodes_BeforeTheClusterStarted_ThrowsSayingSo()
    {
        await using var cluster = new ContainerClusterBuilder().Build();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => cluster.StartAllNodesAsync());

        Assert.Contains("StartAsync", ex.Message, StringComparison.Ordinal);
    }
}
