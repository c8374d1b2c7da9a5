using RabbitMQ.Client;

namespace RabbitHa.Client;

/// <summary>
/// What <see cref="IRabbitHaConnection.ConnectionLost"/> reports: why an open connection was lost, and whether
/// automatic recovery is bringing it back.
/// </summary>
/// <remarks>
/// Handlers run after the fact (see <see cref="IRabbitHaConnection"/>): by then <see cref="IRabbitHaConnection.State"/>
/// may have moved on, even to <see cref="RabbitHaConnectionState.Open"/> again. These arguments say what was true when
/// the connection was lost.
/// </remarks>
public sealed class RabbitHaConnectionLostEventArgs : EventArgs
{
    /// <summary>Initializes a new instance of the <see cref="RabbitHaConnectionLostEventArgs"/> class.</summary>
    /// <param name="endpoint">The endpoint the connection was on, or <see langword="null"/> when it is not known.</param>
    /// <param name="replyCode">The AMQP reply code of the close.</param>
    /// <param name="replyText">The close's reply text.</param>
    /// <param name="initiatedByBroker"><see langword="true"/> when the broker closed the connection; <see langword="false"/> when the client side did (a network failure, a missed heartbeat).</param>
    /// <param name="exception">The exception that ended the connection, if any.</param>
    /// <param name="willRecover"><see langword="true"/> when automatic recovery is reconnecting; <see langword="false"/> when the connection is down for good.</param>
    /// <exception cref="ArgumentNullException"><paramref name="replyText"/> is <see langword="null"/>.</exception>
    public RabbitHaConnectionLostEventArgs(AmqpTcpEndpoint? endpoint, ushort replyCode, string replyText, bool initiatedByBroker, Exception? exception, bool willRecover)
    {
        ArgumentNullException.ThrowIfNull(replyText);
        Endpoint = endpoint;
        ReplyCode = replyCode;
        ReplyText = replyText;
        InitiatedByBroker = initiatedByBroker;
        Exception = exception;
        WillRecover = willRecover;
    }

    /// <summary>
    /// Gets the endpoint the connection was on, or <see langword="null"/> when it is not known. The same type as
    /// <see cref="IRabbitHaConnection.CurrentEndpoint"/>; its <see cref="AmqpTcpEndpoint.ToString"/> is
    /// <c>amqp://host:port</c> (or <c>amqps://</c>).
    /// </summary>
    public AmqpTcpEndpoint? Endpoint { get; }

    /// <summary>Gets the AMQP reply code of the close: the broker's (such as 320, <c>CONNECTION_FORCED</c>, when a node shuts down), or the client's own (541, <c>INTERNAL_ERROR</c>, for a connection that broke).</summary>
    public ushort ReplyCode { get; }

    /// <summary>Gets the close's reply text, such as <c>CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'</c>.</summary>
    public string ReplyText { get; }

    /// <summary>
    /// Gets a value indicating whether the broker closed the connection (a node stopping, an administrator closing it,
    /// a refusal). <see langword="false"/> when the client side ended it: the network failed, a heartbeat was missed, or
    /// RabbitMQ.Client closed it after an error of its own.
    /// </summary>
    public bool InitiatedByBroker { get; }

    /// <summary>Gets the exception that ended the connection (an <see cref="IOException"/> for a broken socket, say), or <see langword="null"/> when it closed without one.</summary>
    public Exception? Exception { get; }

    /// <summary>
    /// Gets a value indicating whether automatic recovery is reconnecting: <see langword="true"/> when the connection became
    /// <see cref="RabbitHaConnectionState.Recovering"/> (a <see cref="IRabbitHaConnection.ConnectionRecovered"/> follows once it
    /// succeeds), <see langword="false"/> when it became <see cref="RabbitHaConnectionState.Disconnected"/> for good (the broker
    /// refused it, such as 403 <c>ACCESS_REFUSED</c>); then only <see cref="IRabbitHaConnection.ConnectAsync"/>, or a channel
    /// request, connects again.
    /// </summary>
    public bool WillRecover { get; }
}
