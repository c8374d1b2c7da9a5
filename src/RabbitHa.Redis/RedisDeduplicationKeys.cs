using System.Text;

namespace RabbitHa.Redis;

/// <summary>
/// The store's keys and values: one key per scope and message id, <c>&lt;prefix&gt;&lt;scope&gt;:&lt;message id&gt;</c>, holding
/// <c>claimed:&lt;owner&gt;</c> or <c>handled</c>.
/// </summary>
/// <remarks>
/// A scope (a queue name) may itself contain <c>:</c>; escaped (<c>\:</c>, and <c>\</c> as <c>\\</c>), the first bare
/// <c>:</c> after the prefix ends it, so that scope <c>a:b</c> with id <c>c</c> and scope <c>a</c> with id <c>b:c</c> never
/// share a key. The message id follows as it is: it is the last part.
/// </remarks>
internal static class RedisDeduplicationKeys
{
    public const string HandledValue = "handled";
    public const string ClaimedPrefix = "claimed:";

    public static string Key(string prefix, string scope, string messageId)
    {
        int escapes = 0;
        foreach (char c in scope)
        {
            if (c is ':' or '\\')
            {
                escapes++;
            }
        }

        var key = new StringBuilder(prefix.Length + scope.Length + escapes + 1 + messageId.Length);
        key.Append(prefix);
        if (escapes == 0)
        {
            key.Append(scope);
        }
        else
        {
            foreach (char c in scope)
            {
                if (c is ':' or '\\')
                {
                    key.Append('\\');
                }

                key.Append(c);
            }
        }

        return key.Append(':').Append(messageId).ToString();
    }

    /// <summary>The value of a claim: <c>claimed:&lt;owner&gt;:&lt;claim number&gt;</c>, unique to one claim of one store instance.</summary>
    public static string ClaimValue(string owner, long claim) => string.Create(
        System.Globalization.CultureInfo.InvariantCulture, $"{ClaimedPrefix}{owner}:{claim}");
}
