namespace RabbitHa.Redis;

/// <summary>
/// What <see cref="RedisRabbitHaDeduplicationStore"/> does when Redis fails or does not answer within
/// <see cref="RedisDeduplicationOptions.OperationTimeout"/>: <see cref="RedisDeduplicationOptions.WhenUnavailable"/>.
/// </summary>
/// <remarks>
/// Either way nothing is lost, and each such call is logged as a warning and counted
/// (<see cref="RedisDeduplicationDiagnostics.StoreUnavailableInstrument"/>). The choice is between a duplicate and a delay.
/// </remarks>
public enum RedisUnavailableBehavior
{
    /// <summary>
    /// The claim fails: the consumer returns the message to its queue (after a pause of 1 second) and it is handled once
    /// Redis answers again. No message is handled twice for want of Redis, but none is handled while Redis is away, and on a
    /// quorum queue each return counts as a delivery (<c>x-delivery-count</c>). A record (handled, released) that fails
    /// is thrown to the consumer, which logs it; the message's outcome stands. The default.
    /// </summary>
    FailClosed = 0,

    /// <summary>
    /// The claim succeeds without Redis: the message is handled, and a copy of it handled elsewhere meanwhile (a re-send,
    /// a redelivery) may be handled twice. When the handler ends, its record is written if Redis answers by then.
    /// A record that fails is only logged here, not thrown.
    /// </summary>
    FailOpen = 1,
}
