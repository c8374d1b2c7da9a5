using System.Runtime.CompilerServices;
using RabbitHa.Testing.Containers;
using Xunit;

namespace RabbitHa.Testing.XunitV3;

/// <summary>
/// An xUnit v3 theory that needs a Docker engine: every row skipped, with the reason, when none answers on this machine.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class DockerTheoryAttribute : TheoryAttribute
{
    /// <summary>Initializes a new instance of the <see cref="DockerTheoryAttribute"/> class.</summary>
    /// <param name="sourceFilePath">Filled in by the compiler, for xUnit's source information; do not pass it.</param>
    /// <param name="sourceLineNumber">Filled in by the compiler, for xUnit's source information; do not pass it.</param>
    public DockerTheoryAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (!DockerAvailability.IsAvailable)
        {
            Skip = DockerAvailability.UnavailableReason;
        }
    }
}
