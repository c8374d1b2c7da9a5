using RabbitHa.Testing.Containers;
using Xunit;

namespace RabbitHa.Testing.Xunit;

/// <summary>
/// A fact that needs a Docker engine: skipped, with the reason, when none answers on this machine.
/// A reachable engine that then misbehaves still fails the test.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class DockerFactAttribute : FactAttribute
{
    /// <summary>Initializes a new instance of the <see cref="DockerFactAttribute"/> class.</summary>
    public DockerFactAttribute()
    {
        if (!DockerAvailability.IsAvailable)
        {
            Skip = DockerAvailability.UnavailableReason;
        }
    }
}
