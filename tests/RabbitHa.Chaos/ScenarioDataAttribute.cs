using System.Globalization;
using System.Reflection;
using RabbitHa.Client;
using RabbitHa.Testing;
using RabbitHa.Testing.Containers;
using Xunit.Sdk;

namespace RabbitHa.Chaos;

/// <summary>
/// One row of a scenario theory, like <c>[InlineData]</c>; a row on a classic queue is skipped, with the reason, when the
/// run's cluster is RabbitMQ 4 (<c>RABBITHA_RABBITMQ_PROFILE=4</c>), so the report shows it was left out rather than passed.
/// </summary>
/// <remarks>
/// The profile is read from the environment at discovery, before any cluster exists: the same variable the fixture
/// builds its cluster from. <see cref="Workload"/> refuses a classic queue on RabbitMQ 4 as well, should the two ever disagree.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ScenarioDataAttribute : DataAttribute
{
    /// <summary>Why a classic row does not run on RabbitMQ 4.</summary>
    public const string ClassicOnRabbitMq4 =
        "RabbitMQ 4 removed classic queue mirroring: a classic queue lives on one node and is lost with it, so no client can keep "
        + "this scenario's promise. (On this cluster, a queue declared without x-queue-type is a quorum queue anyway: the quorum row covers it.)";

    /// <summary>The environment variable that runs the rows marked <see cref="Slow"/> too: <c>1</c>.</summary>
    public const string AllRowsVariable = "RABBITHA_CHAOS_ALL";

    private readonly object[] _data;
    private bool _slow;

    public ScenarioDataAttribute(params object[] data)
    {
        _data = data;
        if (IsRabbitMq4 && data.OfType<RabbitHaQueueType>().Contains(RabbitHaQueueType.Classic))
        {
            Skip = ClassicOnRabbitMq4;
        }
    }

    /// <summary>
    /// Gets or sets a value indicating whether the row takes a minute or more and repeats what a shorter row of the same
    /// scenario shows: CI leaves it out, with the reason, to stay within its time; <c>RABBITHA_CHAOS_ALL=1</c> runs it.
    /// </summary>
    public bool Slow
    {
        get => _slow;
        set
        {
            _slow = value;
            if (value && Skip is null && Environment.GetEnvironmentVariable(AllRowsVariable) != "1")
            {
                Skip = $"A slow row, left out to keep CI within its time; {AllRowsVariable}=1 runs it.";
            }
        }
    }

    /// <summary>Gets a value indicating whether this run's clusters run RabbitMQ 4, as <see cref="ContainerClusterBuilder"/> will read it.</summary>
    internal static bool IsRabbitMq4 { get; } =
        int.TryParse(Environment.GetEnvironmentVariable(ContainerClusterBuilder.RabbitMqProfileVariable)?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int major)
        && major == (int)RabbitMqProfile.RabbitMq4;

    /// <inheritdoc />
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [_data];
}
