using System.Globalization;
using RabbitHa.Testing;
using RabbitHa.Testing.Containers;
using Xunit;

namespace RabbitHa.Client.IntegrationTests;

/// <summary>
/// A fact that needs Docker and a RabbitMQ 3 cluster: skipped with <c>reason</c> when the run's clusters are RabbitMQ 4
/// (<c>RABBITHA_RABBITMQ_PROFILE=4</c>), so that the report shows it was left out there rather than passed.
/// </summary>
/// <remarks>The profile is read from the environment at discovery, as the fixture reads it when it builds its cluster.</remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class RabbitMq3FactAttribute : FactAttribute
{
    public RabbitMq3FactAttribute(string reason)
    {
        if (!DockerAvailability.IsAvailable)
        {
            Skip = DockerAvailability.UnavailableReason;
        }
        else if (IsRabbitMq4)
        {
            Skip = reason;
        }
    }

    private static bool IsRabbitMq4 =>
        int.TryParse(Environment.GetEnvironmentVariable(ContainerClusterBuilder.RabbitMqProfileVariable)?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int major)
        && major == (int)RabbitMqProfile.RabbitMq4;
}
