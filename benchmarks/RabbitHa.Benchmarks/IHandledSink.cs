namespace RabbitHa.Benchmarks;

/// <summary>Where the consumer apps report each message they handled.</summary>
internal interface IHandledSink
{
    /// <param name="consumer">The consumer app, from 0.</param>
    /// <param name="messageId">The message number.</param>
    /// <param name="redelivered">Whether the broker flagged the delivery as a redelivery (a consumer before it did not acknowledge it).</param>
    void Handled(int consumer, int messageId, bool redelivered);
}
