using Microsoft.Extensions.Logging;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Resilience;
using RabbitHa.Client.Internal.Topology;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Internal.Consuming;

/// <summary>
/// A consumer's dead-letter queue (<see cref="RabbitHaDeadLetterStrategy.Queue"/>), and making sure it exists. It is
/// declared on the consumer's own connection: declaring is not publishing, so a resource alarm does not block it,
/// and RabbitMQ.Client then re-declares it after every recovery like the rest of the topology.
/// </summary>
/// <remarks>
/// A missing one is declared as the consumer's queue is declared in the topology. When the topology does not say, it is a
/// classic queue on RabbitMQ 3 (mirrored there by the cluster's policy) and a quorum queue on RabbitMQ 4: there a classic
/// queue lives on one node (unless the virtual host's default queue type says otherwise, which a client cannot see), and a
/// dead-letter queue that a node loss deletes would break "dead-lettered means kept".
/// </remarks>
internal sealed class DeadLetterQueue
{
    private readonly IRabbitHaConnection _connection;
    private readonly RabbitHaQueueType? _sourceQueueType;
    private readonly string _consumerName;
    private readonly string _sourceQueue;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopping;
    private readonly object _gate = new();
    private Task<bool>? _declaring;

    /// <param name="connection">The consumer's connection.</param>
    /// <param name="name">The queue's name.</param>
    /// <param name="sourceQueueType">How the topology declares the consumer's queue, or <see langword="null"/> when it does not declare it.</param>
    /// <param name="consumerName">The consumer, for logs.</param>
    /// <param name="sourceQueue">The consumer's queue, for logs.</param>
    /// <param name="logger">Where failures are logged.</param>
    /// <param name="stopping">The consumer's stop: ends a declaration under way.</param>
    public DeadLetterQueue(IRabbitHaConnection connection, string name, RabbitHaQueueType? sourceQueueType, string consumerName, string sourceQueue, ILogger logger, CancellationToken stopping)
    {
        _connection = connection;
        Name = name;
        _sourceQueueType = sourceQueueType;
        _consumerName = consumerName;
        _sourceQueue = sourceQueue;
        _logger = logger;
        _stopping = stopping;
    }

    public string Name { get; }

    /// <summary>The type a missing dead-letter queue is declared with (see the remarks on the class).</summary>
    /// <param name="sourceQueueType">How the topology declares the consumer's queue, or <see langword="null"/> when it does not.</param>
    /// <param name="brokerVersion">The RabbitMQ version of the node declaring it, or <see langword="null"/> when unknown.</param>
    public static RabbitHaQueueType TypeToDeclare(RabbitHaQueueType? sourceQueueType, Version? brokerVersion) =>
        sourceQueueType ?? (BrokerInfo.HasUnreplicatedClassicQueues(brokerVersion) ? RabbitHaQueueType.Quorum : RabbitHaQueueType.Classic);

    /// <summary>
    /// Declares the queue unless it exists; concurrent callers share one declaration. A refusal by the broker or a lost
    /// connection is logged, not thrown: consuming goes on, and a dead-letter copy that then finds no queue comes back
    /// unroutable, which leaves the message in its own queue and calls this again.
    /// </summary>
    /// <param name="cancellationToken">Stops this caller's wait; the declaration goes on for the others.</param>
    /// <returns>
    /// <see langword="true"/> when the broker answered: the queue exists, or the broker refused it (logged);
    /// <see langword="false"/> when the connection failed first (logged), so that the caller may try again once it is back.
    /// </returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled, or the consumer is stopping.</exception>
    /// <exception cref="ObjectDisposedException">The connection has been closed by the application.</exception>
    public Task<bool> DeclareAsync(CancellationToken cancellationToken)
    {
        Task<bool> declaring;
        lock (_gate)
        {
            if (_declaring is null || _declaring.IsCompleted)
            {
                _declaring = DeclareCoreAsync(_stopping);
            }

            declaring = _declaring;
        }

        return declaring.WaitAsync(cancellationToken);
    }

    private async Task<bool> DeclareCoreAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (await ExistsAsync(cancellationToken).ConfigureAwait(false))
            {
                return true;
            }

            IChannel channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            RabbitHaQueueType type;
            await using (channel.ConfigureAwait(false))
            {
                // With a channel open, the version is that of the node it is on.
                type = TypeToDeclare(_sourceQueueType, _connection.BrokerVersion);
                await channel.QueueDeclareAsync(Name, durable: true, exclusive: false, autoDelete: false, Arguments(type),
                    cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            if (_logger.IsEnabled(LogLevel.Information))
            {
                _logger.DeadLetterQueueDeclared(_consumerName, Name, type.ToString());
            }

            return true;
        }
        catch (OperationInterruptedException ex) when (IsRefusal(ex))
        {
            _logger.DeadLetterQueueDeclareFailed(_consumerName, Name, _sourceQueue, FailureClassification.DescribeReply(ex), ex);
            return true;
        }
        catch (Exception ex) when (ex is OperationInterruptedException or RabbitHaConnectionException or IOException or TimeoutException)
        {
            _logger.DeadLetterQueueDeclareInterrupted(_consumerName, Name, FailureClassification.DescribeReply(ex));
            return false;
        }
    }

    /// <summary>The broker closed the channel because of the declaration itself (access refused, inequivalent arguments...), not because the connection went away.</summary>
    private static bool IsRefusal(OperationInterruptedException exception) =>
        exception.ShutdownReason is { Initiator: ShutdownInitiator.Peer } reason
        && reason.ReplyCode is Constants.AccessRefused or Constants.NotFound or Constants.ResourceLocked or Constants.PreconditionFailed;

    /// <summary>A passive declaration, on a channel of its own: a missing queue (404) makes the broker close the channel.</summary>
    private async Task<bool> ExistsAsync(CancellationToken cancellationToken)
    {
        IChannel channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await using (channel.ConfigureAwait(false))
        {
            try
            {
                await channel.QueueDeclarePassiveAsync(Name, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == Constants.NotFound)
            {
                return false;
            }
        }
    }

    // A classic one gets no x-queue-type, as in TopologyDeclarer: one declared earlier without it stays equivalent.
    private static Dictionary<string, object?>? Arguments(RabbitHaQueueType type) =>
        type == RabbitHaQueueType.Quorum
            ? new Dictionary<string, object?>(StringComparer.Ordinal) { [TopologyDeclarer.QueueTypeArgument] = TopologyDeclarer.QuorumQueueType }
            : null;
}
