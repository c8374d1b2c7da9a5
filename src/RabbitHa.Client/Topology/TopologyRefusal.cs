using System.Diagnostics.CodeAnalysis;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Internal.Topology;

/// <summary>
/// The broker's "no" to one exchange, queue or binding declaration: it closed the channel with access-refused,
/// not-found or precondition-failed in answer to a method of the exchange or queue class, such as
/// PRECONDITION_FAILED for a queue that exists with other arguments. The connection itself is fine.
/// </summary>
/// <remarks>
/// RabbitMQ.Client's topology recovery takes every <see cref="OperationInterruptedException"/> for a lost connection
/// and starts the whole recovery again, for ever, when the broker refuses one recorded entity. Telling a refusal
/// apart is what lets RabbitHa skip that entity instead, while a real connectivity failure (the connection closed,
/// a timeout) keeps RabbitMQ.Client's behaviour.
/// </remarks>
internal sealed record TopologyRefusal(ushort ReplyCode, string ReplyText)
{
    // AMQP 0-9-1 method classes of exchange.declare/bind and of queue.declare/bind.
    private const ushort ExchangeClassId = 40;
    private const ushort QueueClassId = 50;

    /// <summary>Whether <paramref name="exception"/> is the broker refusing a declaration, and if so, its reply.</summary>
    public static bool TryGet(Exception exception, [NotNullWhen(true)] out TopologyRefusal? refusal)
    {
        ArgumentNullException.ThrowIfNull(exception);

        // AlreadyClosedException carries the reason of an earlier close: it was not this declaration that was refused.
        if (exception is OperationInterruptedException
            {
                ShutdownReason: { Initiator: ShutdownInitiator.Peer, ClassId: ExchangeClassId or QueueClassId } reason,
            } and not AlreadyClosedException
            && reason.ReplyCode is Constants.AccessRefused or Constants.NotFound or Constants.PreconditionFailed)
        {
            refusal = new TopologyRefusal(reason.ReplyCode, reason.ReplyText);
            return true;
        }

        refusal = null;
        return false;
    }

    /// <summary>Whether <paramref name="exception"/> is the broker refusing a declaration.</summary>
    public static bool IsRefusal(Exception exception) => TryGet(exception, out _);

    /// <summary>The reply as the broker gave it, such as <c>406 PRECONDITION_FAILED - inequivalent arg 'x-max-length' …</c>.</summary>
    public override string ToString() => $"{ReplyCode} {ReplyText}";
}
