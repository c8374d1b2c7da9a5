using System.Diagnostics.CodeAnalysis;

namespace RabbitHa.Client.Internal.Connection;

/// <summary>The parts of an <c>amqp://</c> or <c>amqps://</c> URI, read the way RabbitMQ.Client reads them.</summary>
internal sealed record AmqpUri(bool UseTls, string Host, int? Port, string? UserName, string? Password, string? VirtualHost)
{
    public const string AmqpScheme = "amqp";
    public const string AmqpsScheme = "amqps";

    /// <summary>Parses <paramref name="value"/>; on failure <paramref name="problem"/> says what is wrong, without quoting the value.</summary>
    public static bool TryParse(string value, [NotNullWhen(true)] out AmqpUri? result, [NotNullWhen(false)] out string? problem)
    {
        result = null;
        if (!System.Uri.TryCreate(value, UriKind.Absolute, out Uri? uri))
        {
            problem = "must be an absolute amqp:// or amqps:// URI";
            return false;
        }

        bool tls = string.Equals(uri.Scheme, AmqpsScheme, StringComparison.OrdinalIgnoreCase);
        if (!tls && !string.Equals(uri.Scheme, AmqpScheme, StringComparison.OrdinalIgnoreCase))
        {
            problem = "must use the amqp:// or amqps:// scheme";
            return false;
        }

        if (string.IsNullOrEmpty(uri.Host))
        {
            problem = "must name a host";
            return false;
        }

        int? port = uri.Port == -1 ? null : uri.Port;
        if (port is < 1 or > 65535)
        {
            problem = "must have a port between 1 and 65535";
            return false;
        }

        // System.Uri canonicalises to at least "/", so two segments mean one virtual host segment.
        if (uri.Segments.Length > 2)
        {
            problem = "must have at most one path segment (the virtual host)";
            return false;
        }

        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            problem = "must not have a query or a fragment";
            return false;
        }

        string? userName = null;
        string? password = null;
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            int colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            userName = Decode(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            password = colon < 0 ? null : Decode(uri.UserInfo[(colon + 1)..]);
        }

        string? virtualHost = uri.Segments.Length == 2 ? Decode(uri.Segments[1]) : null;
        result = new AmqpUri(tls, uri.IdnHost, port, userName, password, virtualHost);
        problem = null;
        return true;
    }

    // '+' stays a plus, as in RabbitMQ.Client: URIs carry passwords, not form data.
    private static string Decode(string value) => System.Uri.UnescapeDataString(value.Replace("+", "%2B", StringComparison.Ordinal));

    /// <summary>Hides the password from the compiler-generated <c>ToString()</c>.</summary>
    public override string ToString() =>
        $"{(UseTls ? AmqpsScheme : AmqpScheme)}://{Host}{(Port is null ? "" : ":" + Port)}/{VirtualHost}";
}
