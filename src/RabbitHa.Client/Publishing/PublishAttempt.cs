using System.Diagnostics;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Resilience;
using RabbitMQ.Client;

namespace RabbitHa.Client.Internal.Publishing;

/// <summary>One message on its way to a confirm: what to send, and what happened to it so far.</summary>
internal sealed class PublishAttempt : IDisposable
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private Activity? _activity;

    public PublishAttempt(RabbitHaPublisher publisher, string exchange, string routingKey, ReadOnlyMemory<byte> body, BasicProperties properties, bool mandatory, CancellationToken callerToken = default)
    {
        Publisher = publisher;
        Exchange = exchange;
        RoutingKey = routingKey;
        Body = body;
        Properties = properties;
        Mandatory = mandatory;
        CallerToken = callerToken;
    }

    public RabbitHaPublisher Publisher { get; }

    public string Exchange { get; }

    public string RoutingKey { get; }

    public ReadOnlyMemory<byte> Body { get; }

    public BasicProperties Properties { get; private set; }

    public bool Mandatory { get; }

    public CancellationToken CallerToken { get; }

    public string MessageId => Properties.MessageId!;

    public int Sends { get; private set; }

    public int Nacks { get; set; }

    /// <summary>Gets or sets how many channels the broker closed under this message without naming what it refused.</summary>
    public int UnexplainedClosures { get; set; }

    /// <summary>Gets or sets a value indicating whether the message is sent alone, on a channel of its own, to learn whether the broker refuses it.</summary>
    public bool Isolated { get; set; }

    /// <summary>Gets or sets a value indicating whether the publisher counts this message among the publishes a stop waits for.</summary>
    public bool Admitted { get; set; }

    /// <summary>Gets or sets a value indicating whether the message holds a window slot.</summary>
    public bool HoldsSlot { get; set; }

    /// <summary>Gets or sets the message's cancellation, once it needs one (a wait for a slot, a send).</summary>
    public PublishCancellation? Cancellation { get; set; }

    public Exception? LastError { get; set; }

    /// <summary>Gets the publish's span (<see cref="RabbitHaTracing.StartPublish"/>), or <see langword="null"/>; stopped with <see cref="Dispose"/>.</summary>
    public Activity? Activity { get => _activity; init => _activity = value; }

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

    /// <summary>
    /// Counts a send; from the second one on, the message carries <see cref="RabbitHaHeaders.Resent"/>, and each such send
    /// is an event on the publish's span, with what the previous one ended with (<see cref="LastError"/>).
    /// </summary>
    public void StartSend()
    {
        Sends++;
        if (Sends == 1)
        {
            return;
        }

        if (Sends == 2)
        {
            // A copy, not the caller's object: the header says the broker may already hold this message. The headers keep
            // the trace context of the first send (PublishHeaders).
            var resent = new BasicProperties(Properties);
            var headers = resent.Headers is null ? new PublishHeaders() : new PublishHeaders(resent.Headers);
            headers[RabbitHaHeaders.Resent] = true;
            resent.Headers = headers;
            Properties = resent;
        }

        RabbitHaTracing.Resent(Activity, Sends, FailureClassification.ResendReason(LastError), LastError is null ? null : FailureClassification.DescribeWithType(LastError));
    }

    public RabbitHaPublishException Fail(PublishFailureReason reason, string detail, Exception? cause) =>
        new(reason, MessageId, Exchange, RoutingKey, Sends, detail, cause);

    /// <summary>Records on the span how the publish failed: <paramref name="errorType"/> as <c>error.type</c> (the reason, as on <c>rabbitha.publish.failed</c>).</summary>
    public void Failed(string errorType, Exception outcome) => RabbitHaTracing.Failed(Activity, errorType, outcome);

    public void Dispose()
    {
        Cancellation?.Dispose();
        Cancellation = null;
        if (_activity is { } activity)
        {
            _activity = null;
            if (activity.IsAllDataRequested)
            {
                activity.SetTag(RabbitHaTracing.PublishAttempts, Sends);
            }

            activity.Dispose();
        }
    }
}
