namespace RabbitHa.Benchmarks;

/// <summary>What one contender's failover run of one round measured.</summary>
/// <param name="KilledNode">The node of the publisher's connection, killed a third of the way in.</param>
/// <param name="ConfirmPause">The longest pause between two confirms that ends after the kill, and when confirms resumed.</param>
/// <param name="Resent">Re-sends, from the client's own metrics; <see langword="null"/> where the client reports none.</param>
/// <param name="Duplicates">Extra copies: deliveries of the drained queue, or handlings by the consumers, minus distinct messages.</param>
/// <param name="Lost">Confirmed messages never delivered (drain) or never handled (consumers).</param>
/// <param name="Consumers">For RabbitHa rounds, the consumers whose connection was on the killed node; <see langword="null"/> for publisher-only rounds.</param>
/// <param name="Steps">For RabbitHa rounds, what the publishing pause was made of; <see langword="null"/> for the others.</param>
internal sealed record FailoverResult(
    int Round,
    string Publisher,
    int KilledNode,
    RunResult Run,
    PauseAfterKill ConfirmPause,
    long? Resent,
    int Duplicates,
    int Lost,
    IReadOnlyList<ConsumerResume>? Consumers,
    FailoverSteps? Steps = null);

/// <summary>A consumer app whose connection was on the killed node, and when it handled messages again after the kill.</summary>
/// <param name="Consumer">The consumer app, from 1.</param>
/// <param name="DeliveringAgainAfter">From the kill to the end of its longest pause after the kill; <see langword="null"/> if it handled nothing after the kill.</param>
internal sealed record ConsumerResume(int Consumer, TimeSpan? DeliveringAgainAfter);
