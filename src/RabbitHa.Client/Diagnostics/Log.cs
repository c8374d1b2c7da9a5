using Microsoft.Extensions.Logging;

namespace RabbitHa.Client.Internal.Diagnostics;

/// <summary>
/// RabbitHa's log messages, source-generated. Endpoints are logged as <c>amqp://host:port</c>, which never
/// carries credentials; the password is never an argument.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, EventName = "Connecting", Level = LogLevel.Information,
        Message = "Connecting '{ConnectionName}' to RabbitMQ at {Endpoints} (virtual host '{VirtualHost}', user '{UserName}').")]
    public static partial void Connecting(this ILogger logger, string connectionName, string endpoints, string virtualHost, string userName);

    [LoggerMessage(EventId = 2, EventName = "Connected", Level = LogLevel.Information,
        Message = "Connection '{ConnectionName}' is open on {Endpoint}, to {Broker}.")]
    public static partial void Connected(this ILogger logger, string connectionName, RabbitMQ.Client.AmqpTcpEndpoint endpoint, string broker);

    [LoggerMessage(EventId = 3, EventName = "ConnectAttemptFailed", Level = LogLevel.Warning,
        Message = "Connecting '{ConnectionName}' failed (attempt {Attempt}: {Cause}); retrying in {RetryDelay}.")]
    public static partial void ConnectAttemptFailed(this ILogger logger, string connectionName, int attempt, string cause, TimeSpan retryDelay);

    // EventId 4 (ConnectFailed) is retired: the final connect failure is thrown to the caller, who logs it (the host does at start).

    [LoggerMessage(EventId = 5, EventName = "ConnectionLost", Level = LogLevel.Warning,
        Message = "Connection '{ConnectionName}' to {Endpoint} was lost ({Initiator}, {ReplyCode} {ReplyText}); automatic recovery: {WillRecover}.")]
    public static partial void ConnectionLost(this ILogger logger, string connectionName, RabbitMQ.Client.AmqpTcpEndpoint? endpoint, RabbitMQ.Client.ShutdownInitiator initiator, ushort replyCode, string replyText, bool willRecover, Exception? exception);

    [LoggerMessage(EventId = 6, EventName = "ConnectionRecovered", Level = LogLevel.Information,
        Message = "Connection '{ConnectionName}' recovered on {Endpoint}.")]
    public static partial void ConnectionRecovered(this ILogger logger, string connectionName, RabbitMQ.Client.AmqpTcpEndpoint endpoint);

    [LoggerMessage(EventId = 7, EventName = "RecoveryFailed", Level = LogLevel.Warning,
        Message = "A recovery attempt of connection '{ConnectionName}' failed ({Cause}); the next one follows in {RetryDelay}.")]
    public static partial void RecoveryFailed(this ILogger logger, string connectionName, string cause, TimeSpan retryDelay);

    [LoggerMessage(EventId = 25, EventName = "RecoveryStalled", Level = LogLevel.Warning,
        Message = "The recovery of connection '{ConnectionName}' has gone {Elapsed} without an attempt ending (Recovery:AttemptTimeout); the connection is aborted and a new one opened in its place.")]
    public static partial void RecoveryStalled(this ILogger logger, string connectionName, TimeSpan elapsed);

    [LoggerMessage(EventId = 8, EventName = "ConnectionBlocked", Level = LogLevel.Warning,
        Message = "The broker blocked connection '{ConnectionName}': {Reason}.")]
    public static partial void ConnectionBlocked(this ILogger logger, string connectionName, string reason);

    [LoggerMessage(EventId = 9, EventName = "ConnectionUnblocked", Level = LogLevel.Information,
        Message = "Connection '{ConnectionName}' is no longer blocked (blocked for {BlockedFor}).")]
    public static partial void ConnectionUnblocked(this ILogger logger, string connectionName, TimeSpan blockedFor);

    [LoggerMessage(EventId = 10, EventName = "ConnectionClosed", Level = LogLevel.Information,
        Message = "Connection '{ConnectionName}' closed.")]
    public static partial void ConnectionClosed(this ILogger logger, string connectionName);

    [LoggerMessage(EventId = 11, EventName = "CallbackException", Level = LogLevel.Error,
        Message = "A RabbitMQ.Client callback of connection '{ConnectionName}' threw ({Detail}).")]
    public static partial void CallbackException(this ILogger logger, string connectionName, string detail, Exception exception);

    [LoggerMessage(EventId = 12, EventName = "EventHandlerFailed", Level = LogLevel.Error,
        Message = "A handler of the {EventName} event of connection '{ConnectionName}' threw.")]
    public static partial void EventHandlerFailed(this ILogger logger, string eventName, string connectionName, Exception exception);

    [LoggerMessage(EventId = 13, EventName = "TopologyDeclared", Level = LogLevel.Debug,
        Message = "Declared the configured topology on connection '{ConnectionName}': the broker accepted {AcceptedCount} of {DeclarationCount} declaration(s).")]
    public static partial void TopologyDeclared(this ILogger logger, string connectionName, int acceptedCount, int declarationCount);

    [LoggerMessage(EventId = 14, EventName = "CloseFailed", Level = LogLevel.Warning,
        Message = "Closing connection '{ConnectionName}' did not complete cleanly.")]
    public static partial void CloseFailed(this ILogger logger, string connectionName, Exception exception);

    [LoggerMessage(EventId = 15, EventName = "ChannelCreationInterrupted", Level = LogLevel.Debug,
        Message = "Creating a channel on connection '{ConnectionName}' was interrupted by a connection loss; waiting for the recovery.")]
    public static partial void ChannelCreationInterrupted(this ILogger logger, string connectionName, Exception exception);

    [LoggerMessage(EventId = 16, EventName = "TopologyRefused", Level = LogLevel.Error,
        Message = "RabbitMQ refused to declare {Entity} on connection '{ConnectionName}': {ReplyCode} {ReplyText}. The connection carries on " +
                  "without it and declares it again in the background until the broker accepts it; make the existing entity and the " +
                  "declaration agree (delete it, or change the topology options).")]
    public static partial void TopologyRefused(this ILogger logger, string connectionName, string entity, ushort replyCode, string replyText);

    [LoggerMessage(EventId = 17, EventName = "TopologyStillRefused", Level = LogLevel.Warning,
        Message = "RabbitMQ still refuses to declare {Entity} on connection '{ConnectionName}' ({Refusals} refusals in a row: {ReplyCode} {ReplyText}); next attempt in {RetryDelay}.")]
    public static partial void TopologyStillRefused(this ILogger logger, string connectionName, string entity, int refusals, ushort replyCode, string replyText, TimeSpan retryDelay);

    [LoggerMessage(EventId = 18, EventName = "TopologyDeclaredAfterRefusal", Level = LogLevel.Information,
        Message = "RabbitMQ accepted {Entity} on connection '{ConnectionName}' after {Refusals} refusal(s) over {RefusedFor}.")]
    public static partial void TopologyDeclaredAfterRefusal(this ILogger logger, string connectionName, string entity, int refusals, TimeSpan refusedFor);

    [LoggerMessage(EventId = 19, EventName = "TopologyRetryInterrupted", Level = LogLevel.Debug,
        Message = "Declaring refused topology again on connection '{ConnectionName}' was interrupted ({Cause}); next attempt in {RetryDelay}, once the connection is open.")]
    public static partial void TopologyRetryInterrupted(this ILogger logger, string connectionName, string cause, TimeSpan retryDelay);

    [LoggerMessage(EventId = 20, EventName = "TopologyRetryFailed", Level = LogLevel.Error,
        Message = "Declaring refused topology again on connection '{ConnectionName}' failed unexpectedly; next attempt in {RetryDelay}.")]
    public static partial void TopologyRetryFailed(this ILogger logger, string connectionName, TimeSpan retryDelay, Exception exception);

    [LoggerMessage(EventId = 21, EventName = "CertificateErrorsAccepted", Level = LogLevel.Warning,
        Message = "Connection '{ConnectionName}' accepts the TLS certificate errors {AcceptedErrors} from every endpoint ({Endpoints}): " +
                  "TLS no longer proves which server it talks to. Set Tls:AcceptablePolicyErrors to None, and Tls:ServerName or " +
                  "Tls:FallbackServerName to the names the certificates carry.")]
    public static partial void CertificateErrorsAccepted(this ILogger logger, string connectionName, System.Net.Security.SslPolicyErrors acceptedErrors, string endpoints);

    [LoggerMessage(EventId = 22, EventName = "BrokerChanged", Level = LogLevel.Information,
        Message = "Connection '{ConnectionName}' recovered to {Broker}; it was connected to {PreviousBroker}.")]
    public static partial void BrokerChanged(this ILogger logger, string connectionName, string broker, string previousBroker);

    [LoggerMessage(EventId = 23, EventName = "ClassicQueueNotReplicated", Level = LogLevel.Warning,
        Message = "Queue '{Queue}' in the topology of connection '{ConnectionName}' is declared without a replicated type, and classic " +
                  "queues are not replicated on RabbitMQ {BrokerVersion} (RabbitMQ 4 removed mirroring): unless the virtual host's " +
                  "default queue type is quorum, it lives on one node, and losing that node loses the queue and its messages. Declare " +
                  "it with RabbitHaQueueType.Quorum (an existing queue keeps its type: move its messages to a new quorum queue, or delete it first).")]
    public static partial void ClassicQueueNotReplicated(this ILogger logger, string connectionName, string queue, Version brokerVersion);

    [LoggerMessage(EventId = 24, EventName = "CertificateRefused", Level = LogLevel.Warning,
        Message = "Connection '{ConnectionName}' refused the TLS certificate of {Endpoint}, checked against server name '{ServerName}' " +
                  "(from {ServerNameSource}): {Problem}.")]
    public static partial void CertificateRefused(this ILogger logger, string connectionName, string endpoint, string serverName, string serverNameSource, string problem);
}
