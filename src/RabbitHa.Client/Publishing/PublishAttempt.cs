using System.Diagnostics;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Resilience;
using RabbitMQ.Client;

namespace RabbitHa.Client.Internal.Publishing;

/// <summary>One message on its way to a confirm: what to send, and what happened to it so far.</summary>
/// <remarks>
/// Reused: a publish takes one from its publisher's <see cref="PublishAttemptPool"/>, <see cref="Begin"/> sets everything
/// that describes the message, and <see cref="Dispose"/> ends it, after which the next publish may take it. It keeps its
/// <see cref="Cancellation"/> from one publish to the next.
/// </remarks>
internal sealed class PublishAttempt : IDisposable
{
    private long _started;
    private Activity? _activity;

    /// <param name="publisher">The publisher whose messages this carries.</param>
    /// <param name="publisherToken">The publisher's own token (stopped for good, disposed), part of every <see cref="Cancellation"/>.</param>
    public PublishAttempt(RabbitHaPublisher publisher, CancellationToken publisherToken)
    {
        Publisher = publisher;
        Cancellation = new PublishCancellation(publisherToken);
    }

    public RabbitHaPublisher Publisher { get; }

    public string Exchange { get; private set; } = string.Empty;

    public string RoutingKey { get; private set; } = string.Empty;

    public ReadOnlyMemory<byte> Body { get; private set; }

    public BasicProperties Properties { get; private set; } = null!;

    public bool Mandatory { get; private set; }

    public CancellationToken CallerToken { get; private set; }

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

    /// <summary>Gets the message's cancellation (a wait for a slot, a send), begun with the caller's token.</summary>
    public PublishCancellation Cancellation { get; }

    public Exception? LastError { get; set; }

    /// <summary>Gets the publish's span (<see cref="RabbitHaTracing.StartPublish"/>), or <see langword="null"/>; stopped with <see cref="Dispose"/>.</summary>
    public Activity? Activity => _activity;

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

    /// <summary>Gets or sets a value indicating whether the attempt waits in its pool, unused; for the pool alone.</summary>
    public bool Pooled { get; set; }

    /// <summary>
    /// Starts the publish of a message, with its span (or <see langword="null"/>; stopped with <see cref="Dispose"/>): every
    /// property describes it from now on, and nothing of an earlier one is left.
    /// </summary>
    public void Begin(string exchange, string routingKey, ReadOnlyMemory<byte> body, BasicProperties properties, bool mandatory, Activity? activity, CancellationToken callerToken)
    {
        _started = Stopwatch.GetTimestamp();
        _activity = activity;
        Exchange = exchange;
        RoutingKey = routingKey;
        Body = body;
        Properties = properties;
        Mandatory = mandatory;
        CallerToken = callerToken;
        Sends = 0;
        Nacks = 0;
        UnexplainedClosures = 0;
        Isolated = false;
        Admitted = false;
        HoldsSlot = false;
        LastError = null;
        Cancellation.Begin(callerToken);
    }

    /// <summary>Lets go of the message, once the publish has ended: an attempt waiting in the pool keeps no body alive.</summary>
    public void Clear()
    {
        Exchange = string.Empty;
        RoutingKey = string.Empty;
        Body = default;
        Properties = null!;
        CallerToken = default;
        LastError = null;
    }

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

    public RabbitHaPublishException Fail(RabbitHaPublishFailureReason reason, string detail, Exception? cause) =>
        new(reason, MessageId, Exchange, RoutingKey, Sends, detail, cause);

    /// <summary>Records on the span how the publish failed: <paramref name="errorType"/> as <c>error.type</c> (the reason, as on <c>rabbitha.publish.failed</c>).</summary>
    public void Failed(string errorType, Exception outcome) => RabbitHaTracing.Failed(Activity, errorType, outcome);

    /// <summary>Ends the publish: stops its span and its cancellation's limit.</summary>
    public void Dispose()
    {
        Cancellation.End();
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
