using RabbitHa.Testing.Containers;
using Xunit;

namespace RabbitHa.Chaos;

/// <summary>A theory that needs a Docker engine: skipped, with the reason, when none answers (the theory twin of <c>[DockerFact]</c>).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class DockerTheoryAttribute : TheoryAttribute
{
    public DockerTheoryAttribute()
    {
        if (!DockerAvailability.IsAvailable)
        {
            Skip = DockerAvailability.UnavailableReason;
        }
    }
}
