using System.Diagnostics;
using RabbitMQ.Client;

namespace RabbitHa.Client;

/// <summary>One message on its way to a confirm: what to send, and what happened to the sends so far.</summary>
internal sealed class PublishAttempt
{
    private readonly long _started = Stopwatch.GetTimestamp();

    public PublishAttempt(RabbitHaPublisher publisher, string exchange, string routingKey, ReadOnlyMemory<byte> body, BasicProperties properties, bool mandatory)
    {
        Publisher = publisher;
        Exchange = exchange;
        RoutingKey = routingKey;
        Body = body;
        Properties = properties;
        Mandatory = mandatory;
    }

    public RabbitHaPublisher Publisher { get; }

    public string Exchange { get; }

    public string RoutingKey { get; }

    public ReadOnlyMemory<byte> Body { get; }

    public BasicProperties Properties { get; private set; }

    public bool Mandatory { get; }

    public string MessageId => Properties.MessageId!;

    public int Sends { get; private set; }

    public int Nacks { get; set; }

    public int Rejections { get; set; }

    public Exception? LastError { get; set; }

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

    /// <summary>Counts a send; from the second one on, the message carries <see cref="RabbitHaHeaders.Resent"/>.</summary>
    public void StartSend()
    {
        Sends++;
        if (Sends == 2)
        {
            // A copy, not the caller's object: the header says the broker may already hold this message.
            var resent = new BasicProperties(Properties);
            var headers = resent.Headers is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(resent.Headers);
            headers[RabbitHaHeaders.Resent] = true;
            resent.Headers = headers;
            Properties = resent;
        }
    }

    public RabbitHaPublishException Fail(PublishFailureReason reason, string detail, Exception? cause) =>
        new(reason, MessageId, Exchange, RoutingKey, Sends, detail, cause);
}
