using Microsoft.Extensions.Logging;
using RabbitHa.Client.Internal.Diagnostics;

namespace RabbitHa.Client.Internal.Connection;

/// <summary>
/// Raises one connection's events on the thread pool, one at a time, in the order they were posted: never on the thread
/// that posts them (RabbitMQ.Client's frame reader or recovery loop), so that a slow handler holds back only the later
/// events of its own connection, never the connection.
/// </summary>
/// <remarks>
/// <see cref="RabbitHaConnection"/> posts an event in the same lock that changes what it reports, so the order of the
/// events is the order of the changes (a loss before the recovery that ends it) even when RabbitMQ.Client reports them on
/// different threads. The handlers are the ones subscribed when the event is posted: one that subscribes later reads the
/// state instead. A handler that throws is logged; the other handlers and the later events still run.
/// </remarks>
internal sealed class ConnectionEventQueue
{
    private readonly object _sender;
    private readonly string _connectionName;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private Task _last = Task.CompletedTask;

    /// <param name="sender">The sender every handler is given: the public connection.</param>
    /// <param name="connectionName">The connection's name, for the log of a handler that throws.</param>
    /// <param name="logger">Where a handler that throws is logged.</param>
    public ConnectionEventQueue(object sender, string connectionName, ILogger logger)
    {
        _sender = sender;
        _connectionName = connectionName;
        _logger = logger;
    }

    /// <summary>Gets a task that completes once every event posted so far has been raised; for tests.</summary>
    internal Task Raised
    {
        get
        {
            lock (_gate)
            {
                return _last;
            }
        }
    }

    /// <summary>Queues <paramref name="args"/> for <paramref name="handlers"/>, the event's subscribers now; nothing when there are none.</summary>
    public void Post<TEventArgs>(EventHandler<TEventArgs>? handlers, TEventArgs args, string eventName)
    {
        if (handlers is null)
        {
            return;
        }

        lock (_gate)
        {
            // Continuations of a completed task run on the scheduler, never inline on the caller; the handlers catch
            // their own exceptions, so the chain never faults and each link only waits for the one before it.
            _last = _last.ContinueWith(
                _ => Raise(handlers, args, eventName),
                CancellationToken.None,
                TaskContinuationOptions.DenyChildAttach,
                TaskScheduler.Default);
        }
    }

    private void Raise<TEventArgs>(EventHandler<TEventArgs> handlers, TEventArgs args, string eventName)
    {
        foreach (EventHandler<TEventArgs> handler in handlers.GetInvocationList().Cast<EventHandler<TEventArgs>>())
        {
            try
            {
                handler(_sender, args);
            }
            catch (Exception ex)
            {
                // A subscriber's bug must not stop the other subscribers or the later events; it is logged as an error, not hidden.
                _logger.EventHandlerFailed(eventName, _connectionName, ex);
            }
        }
    }
}
