using Microsoft.Extensions.Logging;
using Polly;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Resilience;
using RabbitHa.Client.Internal.Topology;
using RabbitMQ.Client;

namespace RabbitHa.Client.Internal.Connection;

// The first connect is RabbitHa's own (a Polly retry until Startup.Timeout); after it, RabbitMQ.Client's recovery takes
// over. Everything that belongs only to that first connect lives here.
internal sealed partial class RabbitHaConnection
{
    private Task EnsureConnectStartedLocked()
    {
        ObjectDisposedException.ThrowIf(_state == RabbitHaConnectionState.Closed, this);
        _started = true;
        if (_connectTask is null || _connectTask.IsFaulted || _connectTask.IsCanceled)
        {
            Task connecting = Task.Run(ConnectCoreAsync, CancellationToken.None);

            // Every connect is started by a caller that awaits it and receives its failure; one that stopped waiting
            // (cancelled) chose not to hear it, so it is marked observed rather than left to UnobservedTaskException.
            _ = connecting.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            _connectTask = connecting;
        }

        return _connectTask;
    }

    private async Task ConnectCoreAsync()
    {
        IConnection? stale;
        CancellationToken lifetime;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_state == RabbitHaConnectionState.Closed, this);
            lifetime = _lifetime.Token;
            stale = _connection;
            _connection = null;
            SetStateLocked(RabbitHaConnectionState.Connecting);
        }

        WarnOfAcceptedCertificateErrors();
        _logger.Connecting(ClientProvidedName, _settings.EndpointList, _settings.VirtualHost, _settings.UserName);
        var attempts = new StartupAttempts();
        ResiliencePipeline pipeline = StartupRetryPipeline.Create(_options.Startup, args =>
        {
            attempts.Failed(args.Outcome.Exception, _settings.CertificateRefusals);
            if (_logger.IsEnabled(LogLevel.Warning))
            {
                // Only the cause: a stack trace per attempt would bury the log while the cluster comes up;
                // the final failure goes, whole, to the caller.
                string cause = args.Outcome.Exception is { } error ? FailureClassification.DescribeCauses(error) : "no exception";
                _logger.ConnectAttemptFailed(ClientProvidedName, attempts.Count, cause, args.RetryDelay);
            }

            return default;
        }, _timeProvider);

        IConnection connection;
        IReadOnlyList<(TopologyDeclaration, TopologyRefusal?)> topology;
        try
        {
            if (stale is not null)
            {
                // Closed for good by the broker earlier; nothing to close any more, only to release.
                await stale.DisposeAsync().ConfigureAwait(false);
            }

            (connection, topology) = await pipeline.ExecuteAsync(
                static async (self, token) => await self.OpenAsync(token).ConfigureAwait(false), this, lifetime).ConfigureAwait(false);
        }
        catch (Exception ex) when (!lifetime.IsCancellationRequested)
        {
            RabbitHaConnectionException failure = DescribeFailure(ex, attempts);
            lock (_gate)
            {
                if (_state == RabbitHaConnectionState.Connecting)
                {
                    SetStateLocked(RabbitHaConnectionState.Disconnected);
                }
            }

            // Thrown, not logged: a failure is written down once, by whoever receives it. At host start that is the
            // host ("Hosting failed to start", with this message and its causes), and a log here would repeat it with a
            // second stack trace. The attempts before it were logged already, as one-line warnings.
            throw failure;
        }

        // Before Open: whoever waits for the connection to open (a consumer about to choose its consume arguments) reads it next.
        BrokerInfo broker = ReadBroker(connection);
        bool closed;
        lock (_gate)
        {
            closed = _state == RabbitHaConnectionState.Closed;
            if (!closed)
            {
                _connection = connection;
                _broker = broker;
                SetStateLocked(RabbitHaConnectionState.Open);
            }
        }

        if (closed)
        {
            await AbortAsync(connection).ConfigureAwait(false);
            throw new ObjectDisposedException(GetType().FullName);
        }

        // After Open: a connection already lost by now reports it as soon as the handler is added.
        Subscribe(connection);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            _logger.Connected(ClientProvidedName, connection.Endpoint, broker.ToString());
        }

        _classicQueueWarnings.WarnIfUnreplicated(broker);
        ReportTopology(topology);
    }

    /// <summary>
    /// One attempt: connect (proxy first, then fallbacks) and declare the configured topology. What the broker refuses
    /// does not fail the attempt: it is returned, for <see cref="TopologyRefusals"/> to report and retry once the
    /// connection is open.
    /// </summary>
    private async Task<(IConnection Connection, IReadOnlyList<(TopologyDeclaration, TopologyRefusal?)> Topology)> OpenAsync(
        CancellationToken cancellationToken)
    {
        // What the start-up failure says of certificates is what this attempt saw, not an earlier one.
        _settings.ForgetCertificateRefusals();
        IConnection connection = ConnectionOpener is { } open
            ? await open(cancellationToken).ConfigureAwait(false)
            : await _factory.CreateConnectionAsync(_endpoints, _name, cancellationToken).ConfigureAwait(false);
        if (_topology.Count == 0)
        {
            return (connection, []);
        }

        try
        {
            IReadOnlyList<(TopologyDeclaration, TopologyRefusal?)> outcomes = await TopologyDeclarer.DeclareAsync(
                token => connection.CreateChannelAsync(cancellationToken: token), _topology, cancellationToken).ConfigureAwait(false);
            return (connection, outcomes);
        }
        catch
        {
            // Half-open (connected, lost while declaring): never hand it out; the pipeline decides whether to retry.
            await AbortAsync(connection).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task AbortAsync(IConnection connection)
    {
        await connection.AbortAsync(CancellationToken.None).ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>What the start-up retry has seen so far, for the final message.</summary>
    private sealed class StartupAttempts
    {
        private int _count;
        private Exception? _lastError;
        private IReadOnlyList<CertificateRefusal> _lastCertificateRefusals = [];

        public int Count => Volatile.Read(ref _count);

        public Exception? LastError => Volatile.Read(ref _lastError);

        /// <summary>Gets the certificates refused during the last failed attempt.</summary>
        public IReadOnlyList<CertificateRefusal> LastCertificateRefusals => Volatile.Read(ref _lastCertificateRefusals);

        public void Failed(Exception? error, IReadOnlyList<CertificateRefusal> certificateRefusals)
        {
            Interlocked.Increment(ref _count);
            Volatile.Write(ref _lastError, error);
            Volatile.Write(ref _lastCertificateRefusals, certificateRefusals);
        }
    }
}
