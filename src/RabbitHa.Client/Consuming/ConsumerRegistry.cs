namespace RabbitHa.Client.Internal.Consuming;

/// <summary>
/// The consumers that <c>AddRabbitHa</c>'s hosted service runs, so that the <c>"rabbitha"</c> health check can report on
/// each. A singleton; consumers created with <see cref="RabbitHaConsumer.Create{TMessage}"/> are not in it.
/// </summary>
internal sealed class ConsumerRegistry
{
    private readonly object _gate = new();
    private readonly List<ConsumerSupervisor> _supervisors = [];

    public void Add(ConsumerSupervisor supervisor)
    {
        ArgumentNullException.ThrowIfNull(supervisor);
        lock (_gate)
        {
            _supervisors.Add(supervisor);
        }
    }

    /// <summary>Gets where each consumer stands now, in the order they were added.</summary>
    public IReadOnlyList<ConsumerStatus> Snapshot()
    {
        ConsumerSupervisor[] supervisors;
        lock (_gate)
        {
            supervisors = [.. _supervisors];
        }

        return supervisors.Select(static supervisor => supervisor.GetStatus()).ToArray();
    }
}
