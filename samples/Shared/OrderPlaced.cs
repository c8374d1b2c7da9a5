namespace RabbitHa.Samples;

/// <summary>
/// The message the Producer sample publishes and the Consumer sample handles, sent as JSON
/// (System.Text.Json, RabbitHa's default serializer). Both samples compile this one file.
/// </summary>
/// <param name="Number">The order number, counting from 1 in each run of the producer.</param>
/// <param name="Product">What was ordered.</param>
/// <param name="Quantity">How many.</param>
/// <param name="PlacedAt">When the producer published it.</param>
public sealed record OrderPlaced(int Number, string Product, int Quantity, DateTimeOffset PlacedAt);
