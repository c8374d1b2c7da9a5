using System.Diagnostics.CodeAnalysis;

namespace RabbitHa.Client.Internal.Connection;

/// <summary>
/// Reads one entry of <see cref="RabbitHaOptions.FallbackEndpoints"/>: <c>host</c>, <c>host:port</c>, <c>amqp://host:port</c>
/// or <c>amqps://host:port</c>.
/// </summary>
internal static class FallbackEndpoint
{
    public const string Expected = "must be 'host', 'host:port', 'amqp://host:port' or 'amqps://host:port' without credentials or path";

    /// <param name="value">The entry.</param>
    /// <param name="host">The host name or address.</param>
    /// <param name="port">The port, or <see langword="null"/> for the default of the main endpoint's TLS setting.</param>
    /// <param name="useTls">
    /// Whether the entry's scheme asks for TLS, or <see langword="null"/> when it has none. Fallbacks always take the
    /// main endpoint's TLS setting; a scheme that disagrees with it is rejected by validation rather than obeyed or ignored.
    /// </param>
    public static bool TryParse(string? value, [NotNullWhen(true)] out string? host, out int? port, out bool? useTls)
    {
        host = null;
        port = null;
        useTls = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        bool hasScheme = value.Contains("://", StringComparison.Ordinal);
        string candidate = hasScheme ? value : AmqpUri.AmqpScheme + "://" + value;
        if (!AmqpUri.TryParse(candidate, out AmqpUri? uri, out _)
            || uri.UserName is not null
            || uri.VirtualHost is { Length: > 0 })
        {
            return false;
        }

        host = uri.Host;
        port = uri.Port;
        useTls = hasScheme ? uri.UseTls : null;
        return true;
    }
}
