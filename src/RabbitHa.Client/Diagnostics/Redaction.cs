namespace RabbitHa.Client;

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
}
