using System.Net.Sockets;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client;

/// <summary>
/// Tells a connect failure worth retrying (the cluster is not up yet, a node is restarting, the proxy has
/// no live backend) from one that retrying cannot fix (wrong credentials, missing virtual host).
/// </summary>
/// <remarks>
/// <para>
/// The broker refusing a declaration of the configured topology is not a connect failure: the connection opens
/// without it (see <see cref="TopologyRefusal"/> and <see cref="TopologyRefusals"/>).
/// </para>
/// <para>
/// RabbitMQ.Client wraps whatever stopped the first connect in a <see cref="BrokerUnreachableException"/>,
/// around an <see cref="AggregateException"/> when several endpoints were tried, so the whole chain is read.
/// </para>
/// </remarks>
internal static class ConnectionFailureClassifier
{
    private const int MaxDepth = 16;

    /// <summary>Reply codes after which trying again cannot help: access-refused, not-found, precondition-failed, not-allowed (such as an unknown virtual host).</summary>
    private static readonly ushort[] s_permanentReplyCodes =
        [Constants.AccessRefused, Constants.NotFound, Constants.PreconditionFailed, Constants.NotAllowed];

    /// <summary>Whether the broker refused the credentials.</summary>
    /// <remarks>
    /// RabbitMQ.Client throws <see cref="AuthenticationFailureException"/> when the broker answers ACCESS_REFUSED.
    /// Its base, <see cref="PossibleAuthenticationFailureException"/>, is also thrown when the connection merely
    /// dropped during the handshake (a node stopping, the proxy cutting a half-open backend), which is exactly
    /// what happens while a cluster comes up; it counts as an authentication failure only when its cause says 403.
    /// </remarks>
    public static bool IsAuthenticationFailure(Exception exception) =>
        Flatten(exception).Any(static e => e switch
        {
            AuthenticationFailureException => true,
            PossibleAuthenticationFailureException possible => Flatten(possible).Any(static inner =>
                inner is OperationInterruptedException { ShutdownReason.ReplyCode: Constants.AccessRefused }),
            _ => false,
        });

    /// <summary>Whether a TLS handshake failed: a certificate refused, or no protocol both sides speak.</summary>
    public static bool IsTlsFailure(Exception exception) =>
        Flatten(exception).Any(static e => e is System.Security.Authentication.AuthenticationException);

    /// <summary>Whether the failure is one that retrying cannot fix.</summary>
    public static bool IsPermanent(Exception exception) =>
        IsAuthenticationFailure(exception) || Flatten(exception).Any(static e => e switch
        {
            ProtocolVersionMismatchException => true,
            System.Security.Authentication.AuthenticationException => true, // TLS: certificate or protocol mismatch
            OperationInterruptedException { ShutdownReason: { } reason } => s_permanentReplyCodes.Contains(reason.ReplyCode),
            _ => false,
        });

    /// <summary>Whether the failure is a transient network or availability problem, worth retrying.</summary>
    /// <param name="exception">What the attempt threw.</param>
    /// <param name="cancellationToken">
    /// The token the attempt ran under (the caller's, linked with any overall timeout). A cancellation is transient
    /// unless this token asked for it: RabbitMQ.Client reports a handshake or continuation timeout (a channel open or
    /// a declaration the broker did not answer in time, as during a failover) as a cancellation of its own.
    /// </param>
    public static bool IsTransient(Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (IsPermanent(exception))
        {
            return false;
        }

        bool stopped = cancellationToken.IsCancellationRequested;
        return Flatten(exception).Any(e => e switch
        {
            OperationCanceledException => !stopped,
            BrokerUnreachableException
                or ConnectFailureException
                or SocketException
                or IOException
                or TimeoutException
                or OperationInterruptedException
                or PossibleAuthenticationFailureException => true,
            _ => false,
        });
    }

    /// <summary>The messages of the innermost exceptions, which say what actually happened (RabbitMQ.Client's outer ones do not).</summary>
    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        IEnumerable<string> causes = Flatten(exception)
            .Where(static e => e.InnerException is null && e is not AggregateException)
            .Select(static e => e is OperationCanceledException
                // "A task was canceled." alone does not say that it was RabbitMQ.Client giving up on the broker.
                ? $"{e.GetType().Name}: {e.Message} (no answer in time: a connection, handshake or continuation timeout)"
                : $"{e.GetType().Name}: {e.Message}")
            .Distinct(StringComparer.Ordinal);
        string description = string.Join("; ", causes);
        return description.Length == 0 ? $"{exception.GetType().Name}: {exception.Message}" : description;
    }

    private static IEnumerable<Exception> Flatten(Exception exception)
    {
        var pending = new Stack<(Exception Exception, int Depth)>();
        pending.Push((exception, 0));
        while (pending.Count > 0)
        {
            (Exception current, int depth) = pending.Pop();
            yield return current;
            if (depth >= MaxDepth)
            {
                continue;
            }

            if (current is AggregateException aggregate)
            {
                foreach (Exception inner in aggregate.InnerExceptions)
                {
                    pending.Push((inner, depth + 1));
                }
            }
            else if (current.InnerException is { } inner)
            {
                pending.Push((inner, depth + 1));
            }
        }
    }
}
