using System.Text;

namespace RabbitHa.Client.Internal.Consuming;

/// <summary>
/// Reads header values as RabbitMQ.Client hands them over: AMQP strings arrive as UTF-8 byte arrays, and
/// integers in whatever width the sender (broker or client) chose.
/// </summary>
internal static class MessageHeaders
{
    public static bool IsTrue(IDictionary<string, object?>? headers, string name)
    {
        if (headers is null || !headers.TryGetValue(name, out object? value))
        {
            return false;
        }

        return value switch
        {
            bool flag => flag,
            byte[] bytes => string.Equals(Encoding.UTF8.GetString(bytes), bool.TrueString, StringComparison.OrdinalIgnoreCase),
            string text => string.Equals(text, bool.TrueString, StringComparison.OrdinalIgnoreCase),
            _ => false,
        };
    }

    public static string? GetString(IDictionary<string, object?>? headers, string name)
    {
        if (headers is null || !headers.TryGetValue(name, out object? value))
        {
            return null;
        }

        return value switch
        {
            byte[] bytes => Encoding.UTF8.GetString(bytes),
            string text => text,
            _ => null,
        };
    }

    public static long? GetInt64(IDictionary<string, object?>? headers, string name)
    {
        if (headers is null || !headers.TryGetValue(name, out object? value))
        {
            return null;
        }

        return value switch
        {
            long l => l,
            int i => i,
            short s => s,
            sbyte sb => sb,
            byte b => b,
            ushort us => us,
            uint ui => ui,
            ulong ul => ul > long.MaxValue ? long.MaxValue : (long)ul,
            _ => null,
        };
    }
}
