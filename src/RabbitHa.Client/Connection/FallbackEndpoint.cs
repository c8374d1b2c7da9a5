using System.Diagnostics.CodeAnalysis;

namespace RabbitHa.Client;

/// <summary>Reads one entry of <see cref="RabbitHaOptions.FallbackEndpoints"/>: <c>host</c>, <c>host:port</c> or <c>amqp://host:port</c>.</summary>
internal static class FallbackEndpoint
{
    public const string Expected = "must be 'host', 'host:port' or 'amqp://host:port' without credentials or path";

    public static bool TryParse(string? value, [NotNullWhen(true)] out string? host, out int? port)
    {
        host = null;
        port = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        string candidate = value.Contains("://", StringComparison.Ordinal) ? value : AmqpUri.AmqpScheme + "://" + value;
        if (!AmqpUri.TryParse(candidate, out AmqpUri? uri, out _)
            || uri.UserName is not null
            || uri.VirtualHost is { Length: > 0 })
        {
            return false;
        }

        host = uri.Host;
        port = uri.Port;
        return true;
    }
}
