namespace RabbitHa.Client;

/// <summary>
/// What <see cref="IRabbitHaPublisher.PublishBatchAsync"/> did with each message: confirmed, or failed with its own
/// <see cref="RabbitHaPublishException"/>. Every message of the batch has its outcome here; none is still in flight.
/// </summary>
public sealed class RabbitHaBatchPublishResult
{
    /// <summary>Initializes a new instance of the <see cref="RabbitHaBatchPublishResult"/> class.</summary>
    /// <param name="outcomes">One outcome per message, in the order of the batch.</param>
    /// <exception cref="ArgumentNullException"><paramref name="outcomes"/> or one of them is null.</exception>
    public RabbitHaBatchPublishResult(IReadOnlyList<RabbitHaBatchPublishOutcome> outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var failures = new List<RabbitHaBatchPublishOutcome>();
        foreach (var outcome in outcomes)
        {
            ArgumentNullException.ThrowIfNull(outcome, nameof(outcomes));
            if (!outcome.IsConfirmed)
            {
                failures.Add(outcome);
            }
        }

        Outcomes = outcomes;
        Failures = failures;
    }

    /// <summary>Gets one outcome per message, in the order of the batch.</summary>
    public IReadOnlyList<RabbitHaBatchPublishOutcome> Outcomes { get; }

    /// <summary>Gets the outcomes of the messages that failed, in the order of the batch; empty when all were confirmed.</summary>
    public IReadOnlyList<RabbitHaBatchPublishOutcome> Failures { get; }

    /// <summary>Gets how many messages the broker confirmed.</summary>
    public int ConfirmedCount => Outcomes.Count - Failures.Count;

    /// <summary>Gets a value indicating whether the broker confirmed every message.</summary>
    public bool AllConfirmed => Failures.Count == 0;
}
