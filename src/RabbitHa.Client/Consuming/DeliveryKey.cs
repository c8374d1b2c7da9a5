using System.Security.Cryptography;

namespace RabbitHa.Client;

/// <summary>The key under which a message's failures are counted: its message id, or a hash of its body when it has none.</summary>
internal static class DeliveryKey
{
    public static string For(string? messageId, string routingKey, ReadOnlySpan<byte> body)
    {
        if (!string.IsNullOrEmpty(messageId))
        {
            return "id:" + messageId;
        }

        // Only computed for redelivered or failed messages, so the cost of a cryptographic hash is rare; its
        // width makes two different bodies sharing a count practically impossible.
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(body, hash);
        return "body:" + routingKey + ":" + Convert.ToHexString(hash[..16]);
    }
}
