namespace RabbitHa.Client.Internal.Diagnostics;

/// <summary>Keeps credentials out of anything written down: logs, exception messages, <c>ToString()</c>.</summary>
internal static class Redaction
{
    public const string Mask = "***";

    /// <summary>Replaces the user information of a URI-like string with <see cref="Mask"/>.</summary>
    /// <remarks>
    /// Works on the raw string, not on <see cref="System.Uri"/>, because the values that most need it are the
    /// malformed ones being reported as invalid. It cuts at the last <c>@</c>, so a password containing
    /// <c>/</c> or <c>@</c> is still hidden; at worst a path containing <c>@</c> is hidden too.
    /// </remarks>
    public static string RedactUri(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return value ?? string.Empty;
        }

        int schemeEnd = value.IndexOf("://", StringComparison.Ordinal);
        int start = schemeEnd < 0 ? 0 : schemeEnd + 3;
        int at = value.LastIndexOf('@');
        return at < start ? value : string.Concat(value.AsSpan(0, start), Mask, value.AsSpan(at));
    }

    /// <summary>
    /// Like <see cref="RedactUri"/>, for a value that was meant to be a URI but may be a connection string of another form:
    /// in <c>key=value;...</c> form, the value of every key that names a secret (<c>Password</c>, <c>Pwd</c>, <c>...Key</c>,
    /// <c>...Secret</c>, <c>...Token</c>) is replaced with <see cref="Mask"/> as well; in URI form, so is a query.
    /// </summary>
    public static string RedactConnectionString(string? value)
    {
        if (string.IsNullOrEmpty(value) || !value.Contains('=', StringComparison.Ordinal))
        {
            return RedactUri(value);
        }

        if (value.Contains("://", StringComparison.Ordinal))
        {
            // A query (which an AMQP URI must not have) may carry a password too: amqp://host/?password=...
            int query = value.IndexOf('?', StringComparison.Ordinal);
            return RedactUri(query < 0 ? value : string.Concat(value.AsSpan(0, query + 1), Mask));
        }

        string[] parts = value.Split(';');
        for (int i = 0; i < parts.Length; i++)
        {
            int equals = parts[i].IndexOf('=', StringComparison.Ordinal);
            string key = equals < 0 ? string.Empty : parts[i][..equals].Trim();
            if (IsSecretKey(key))
            {
                parts[i] = string.Concat(parts[i].AsSpan(0, equals + 1), Mask);
            }
        }

        return RedactUri(string.Join(';', parts));
    }

    private static bool IsSecretKey(string key) =>
        key.Equals("pwd", StringComparison.OrdinalIgnoreCase)
        || key.Contains("password", StringComparison.OrdinalIgnoreCase)
        || key.Contains("secret", StringComparison.OrdinalIgnoreCase)
        || key.Contains("key", StringComparison.OrdinalIgnoreCase)
        || key.Contains("token", StringComparison.OrdinalIgnoreCase);
}
