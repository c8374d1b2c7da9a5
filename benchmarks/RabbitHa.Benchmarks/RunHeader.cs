using System.Globalization;
using System.Runtime.InteropServices;
using RabbitHa.Testing;

namespace RabbitHa.Benchmarks;

/// <summary>
/// The first lines of the output: the command that produced the figures and the machine they were measured on, so that
/// docs/BENCHMARKS.md can quote them with the figures and nobody has to remember how a table was made.
/// </summary>
internal static class RunHeader
{
    public static void Print(BenchmarkOptions options)
    {
        Console.WriteLine("Command: " + options.CommandLine());
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1073741824.0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Machine: {Environment.ProcessorCount} logical processors, {memory:F0} GiB, {OperatingSystem()}, {RuntimeInformation.FrameworkDescription} ({RuntimeInformation.ProcessArchitecture})"));
    }

    public static void PrintCluster(IRabbitHaCluster cluster) =>
        Console.WriteLine($"Cluster: the benchmark's own, {cluster.NodeCount} RabbitMQ nodes ({cluster.RabbitMqProfile}) behind HAProxy, in Docker on this machine");

    /// <summary>The OS as .NET names it (the distribution, on Linux), then its kernel version.</summary>
    private static string OperatingSystem() => $"{RuntimeInformation.OSDescription} ({Environment.OSVersion})";
}
