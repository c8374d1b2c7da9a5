using System.Runtime.CompilerServices;
using RabbitHa.Testing.Containers;
using Xunit;

namespace RabbitHa.Testing.XunitV3;

/// <summary>
/// An xUnit v3 fact that needs a Docker engine: skipped, with the reason, when none answers on this machine.
/// A reachable engine that then misbehaves still fails the test.
/// </summary>
/// <remarks>
/// A test that reads <see cref="RabbitHaClusterFixture.Cluster"/> is skipped without it too; this attribute also covers a test
/// that builds its own cluster, and skips before the test class is built. Docker is probed once per process
/// (<see cref="DockerAvailability"/>).
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class DockerFactAttribute : FactAttribute
{
    /// <summary>Initializes a new instance of the <see cref="DockerFactAttribute"/> class.</summary>
    /// <param name="sourceFilePath">Filled in by the compiler, for xUnit's source information; do not pass it.</param>
    /// <param name="sourceLineNumber">Filled in by the compiler, for xUnit's source information; do not pass it.</param>
    public DockerFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (!DockerAvailability.IsAvailable)
        {
            Skip = DockerAvailability.UnavailableReason;
        }
    }
}
