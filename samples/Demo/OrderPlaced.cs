namespace RabbitHa.Demo;

/// <summary>The message the demo's producer publishes and its consumers handle.</summary>
/// <param name="Number">The order number, 0 to the message count: what the ledger counts by.</param>
/// <param name="PlacedAt">When the producer published it.</param>
public sealed record OrderPlaced(int Number, DateTimeOffset PlacedAt);
