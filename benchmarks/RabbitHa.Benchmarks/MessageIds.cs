using System.Buffers.Binary;
using System.Globalization;

namespace RabbitHa.Benchmarks;

/// <summary>
/// Message numbers on the wire. Raw and RabbitHa carry the number itself as the AMQP message id; MassTransit's
/// message id is a <see cref="Guid"/> (it writes <c>MessageId.ToString()</c> to the AMQP property), so the number is
/// the Guid's first four bytes. Whoever counts deliveries reads either.
/// </summary>
internal static class MessageIds
{
    public static string ToText(int number) => number.ToString(CultureInfo.InvariantCulture);

    public static Guid ToGuid(int number)
    {
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        BinaryPrimitives.WriteInt32LittleEndian(bytes, number);
        return new Guid(bytes);
    }

    public static int Parse(string? messageId)
    {
        if (int.TryParse(messageId, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        if (Guid.TryParse(messageId, out var guid))
        {
            Span<byte> bytes = stackalloc byte[16];
            guid.TryWriteBytes(bytes);
            return BinaryPrimitives.ReadInt32LittleEndian(bytes);
        }

        throw new FormatException($"'{messageId}' is not a benchmark message id.");
    }
}
