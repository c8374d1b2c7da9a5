using System.Text.Json;

namespace RabbitHa.Client;

/// <summary>The default <see cref="IRabbitHaSerializer"/>: UTF-8 JSON through System.Text.Json.</summary>
public sealed class SystemTextJsonRabbitHaSerializer : IRabbitHaSerializer
{
    private readonly JsonSerializerOptions _options;

    /// <summary>Initializes a new instance of the <see cref="SystemTextJsonRabbitHaSerializer"/> class.</summary>
    /// <param name="options">The serializer options; <see cref="JsonSerializerDefaults.Web"/> (camelCase, case-insensitive reads) when <see langword="null"/>.</param>
    public SystemTextJsonRabbitHaSerializer(JsonSerializerOptions? options = null)
    {
        _options = options ?? new JsonSerializerOptions(JsonSerializerDefaults.Web);
    }

    /// <inheritdoc />
    public string ContentType => "application/json";

    /// <inheritdoc />
    public ReadOnlyMemory<byte> Serialize<T>(T message) => JsonSerializer.SerializeToUtf8Bytes(message, _options);

    /// <inheritdoc />
    public T Deserialize<T>(ReadOnlyMemory<byte> body)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(body.Span, _options)
                ?? throw new FormatException($"The message body is JSON null, not a {typeof(T).Name}.");
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The message body is not a valid {typeof(T).Name} in JSON: {ex.Message}", ex);
        }
    }
}
