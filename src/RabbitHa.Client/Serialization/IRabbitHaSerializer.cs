namespace RabbitHa.Client;

/// <summary>
/// Turns typed messages into message bodies and back, for the typed publish overloads and typed consumers.
/// The default is <see cref="SystemTextJsonRabbitHaSerializer"/>; register another implementation as a
/// singleton to replace it.
/// </summary>
public interface IRabbitHaSerializer
{
    /// <summary>Gets the MIME type written to the <c>content_type</c> property of published messages, e.g. <c>application/json</c>.</summary>
    string ContentType { get; }

    /// <summary>Serializes a message.</summary>
    /// <typeparam name="T">The message type.</typeparam>
    /// <param name="message">The message.</param>
    /// <returns>The body to publish.</returns>
    ReadOnlyMemory<byte> Serialize<T>(T message);

    /// <summary>Deserializes a message body.</summary>
    /// <typeparam name="T">The message type.</typeparam>
    /// <param name="body">The body as received.</param>
    /// <returns>The message.</returns>
    /// <exception cref="FormatException">The body is not a valid <typeparamref name="T"/>.</exception>
    T Deserialize<T>(ReadOnlyMemory<byte> body);
}
