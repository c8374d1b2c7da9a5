using System.Diagnostics;
using System.Net.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client;

/// <summary>
/// Owns the RabbitMQ.Client connection: opens it through <see cref="StartupRetryPipeline"/>, then leaves
/// losing and regaining it to RabbitMQ.Client's automatic recovery and turns that recovery's callbacks
/// into <see cref="State"/>, events, logs and metrics.
/// </summary>
/// <remarks>
/// One <c>AddRabbitHa()</c> has two of these (see <see cref="ConnectionPurpose"/>): the main connection, which
/// declares the topology and carries the consumers, and the publishing one. RabbitMQ blocks a connection that
/// publishes during a resource alarm and stops reading from its socket; on a shared connection that would stop
/// the consumers' acknowledgements too, and with them the only thing that can clear an alarm caused by a backlog.
/// </remarks>
internal sealed partial class RabbitHaConnection : IRabbitHaConnection
{
    // Between a connection dropping and RabbitMQ.Client reporting it, the state still says Open; a short
    // pause there stops CreateChannelAsync from spinning until the shutdown callback has run.
    private static readonly TimeSpan s_lossReportPause = TimeSpan.FromMilliseconds(50);

    private readonly RabbitHaOptions _options;
    private readonly RabbitHaConnectionSettings _settings;
    private readonly ConnectionFactory _factory;
    private readonly OrderedEndpointResolver _endpoints;
    private readonly RabbitHaMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider? _timeProvider;
    private readonly ConnectionPurpose _purpose;
    private readonly string _name;
    private readonly IReadOnlyList<TopologyDeclaration> _topology;
    private readonly TopologyRefusals _refusals;
    private readonly ClassicQueueWarnings _classicQueueWarnings;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly object _gate = new();

    private ConnectionState _state = ConnectionState.Disconnected;
    private TaskCompletionSource _stateChanged = NewSignal();
    private Task? _connectTask;
    private IConnection? _connection;
    private bool _started;
    private string? _blockedReason;
    private long _blockedSince;
    private int _certificateWarningLogged;
    private BrokerInfo _broker = BrokerInfo.Unknown;

    /// <summary>The pause after each failed recovery attempt of the current loss; guarded by <see cref="_gate"/>.</summary>
    private readonly JitteredBackoff _recoveryBackoff;

    /// <param name="options">The validated options; reading <see cref="IOptions{TOptions}.Value"/> validates them.</param>
    /// <param name="metrics">Where to count losses, recoveries and blocked time.</param>
    /// <param name="logger">The logger; <see cref="NullLogger"/> when <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock of the start-up retry; tests may pass a fake one.</param>
    /// <param name="purpose">Which of the application's connections this is: it decides the name and whether the topology is declared on it.</param>
    public RabbitHaConnection(
        IOptions<RabbitHaOptions> options,
        RabbitHaMetrics metrics,
        ILogger<RabbitHaConnection>? logger = null,
        TimeProvider? timeProvider = null,
        ConnectionPurpose purpose = ConnectionPurpose.Main)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        _options = options.Value;
        _settings = RabbitHaConnectionSettings.FromOptions(_options, ReportCertificateRefusal);
        _endpoints = new OrderedEndpointResolver(_settings.Endpoints);
        _metrics = metrics;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _timeProvider = timeProvider;
        _purpose = purpose;
        _name = purpose == ConnectionPurpose.Publishing
            ? _settings.ClientProvidedName + RabbitHaDiagnostics.PublisherConnectionNameSuffix
            : _settings.ClientProvidedName;
        _topology = purpose == ConnectionPurpose.Main ? TopologyDeclarer.Plan(_options.Topology) : [];
        _recoveryBackoff = new JitteredBackoff(_options.Recovery.RetryDelay, _options.Recovery.MaxRetryDelay);
        _refusals = new TopologyRefusals(_name, CreateChannelWhenOpenAsync, metrics, _logger, timeProvider);
        _classicQueueWarnings = new ClassicQueueWarnings(_name, _logger);
        if (purpose == ConnectionPurpose.Main)
        {
            _classicQueueWarnings.Track(_options.Topology);
        }

        // On every connection, not only the main one: the application may declare on any channel it opens, and
        // RabbitMQ.Client re-declares all of it on recovery.
        _factory = _settings.CreateFactory(_options, TopologyRecoveryRefusalHandler.Create(_refusals, _options.Topology));
    }

    /// <inheritdoc/>
    public event EventHandler<ShutdownEventArgs>? ConnectionLost;

    /// <inheritdoc/>
    public event EventHandler? ConnectionRecovered;

    /// <inheritdoc/>
    public event EventHandler<ConnectionRecoveryErrorEventArgs>? RecoveryFailed;

    /// <inheritdoc/>
    public event EventHandler<ConnectionBlockedEventArgs>? Blocked;

    /// <inheritdoc/>
    public event EventHandler? Unblocked;

    /// <inheritdoc/>
    public ConnectionState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <inheritdoc/>
    public bool IsBlocked => BlockedReason is not null;

    /// <inheritdoc/>
    public string? BlockedReason
    {
        get
        {
            lock (_gate)
            {
                return _blockedReason;
            }
        }
    }

    /// <inheritdoc/>
    public string ClientProvidedName => _name;

    /// <summary>Gets which of the application's connections this is.</summary>
    internal ConnectionPurpose Purpose => _purpose;

    /// <summary>Gets a value indicating whether anything asked this connection to connect yet; the health check ignores one that nobody uses.</summary>
    internal bool WasStarted
    {
        get
        {
            lock (_gate)
            {
                return _started;
            }
        }
    }

    /// <inheritdoc/>
    public AmqpTcpEndpoint? CurrentEndpoint
    {
        get
        {
            lock (_gate)
            {
                return _state == ConnectionState.Open ? _connection?.Endpoint : null;
            }
        }
    }

    /// <inheritdoc/>
    public Version? BrokerVersion => Broker.Version;

    /// <summary>Gets what the broker said it is when the connection last opened or recovered; <see cref="BrokerInfo.Unknown"/> before that.</summary>
    internal BrokerInfo Broker
    {
        get
        {
            lock (_gate)
            {
                return _broker;
            }
        }
    }

    /// <summary>
    /// Gets or sets what opens the RabbitMQ.Client connection in place of the connection factory, for tests that stand in
    /// for the broker; <see langword="null"/> (the default) uses the factory.
    /// </summary>
    internal Func<CancellationToken, Task<IConnection>>? ConnectionOpener { get; init; }

    /// <summary>Gets the exchanges, queues and bindings the broker refuses to declare on this connection, being retried.</summary>
    internal TopologyRefusals TopologyRefusals => _refusals;

    /// <summary>Gets the endpoints in the order they are tried, for diagnostics and tests.</summary>
    internal IReadOnlyList<AmqpTcpEndpoint> Endpoints => _settings.Endpoints;

    /// <inheritdoc/>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        Task connecting;
        lock (_gate)
        {
            connecting = EnsureConnectStartedLocked();
        }

        await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task WaitUntilOpenAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task next;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_state == ConnectionState.Closed, this);
                if (_state == ConnectionState.Open)
                {
                    return;
                }

                // Not connected, or a first connect under way: join it so that its failure reaches this caller.
                // Recovering: wait for RabbitMQ.Client's recovery to report success.
                next = _state is ConnectionState.Disconnected or ConnectionState.Connecting
                    ? EnsureConnectStartedLocked()
                    : _stateChanged.Task;
            }

            await next.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async Task<IChannel> CreateChannelAsync(CreateChannelOptions? options = null, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            await WaitUntilOpenAsync(cancellationToken).ConfigureAwait(false);
            IConnection? connection;
            lock (_gate)
            {
                connection = _state == ConnectionState.Open ? _connection : null;
            }

            if (connection is null)
            {
                continue;
            }

            try
            {
                return await connection.CreateChannelAsync(options, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationInterruptedException ex) when (!connection.IsOpen)
            {
                // Lost between the state check and the call (AlreadyClosedException is one of these):
                // wait for the recovery like any other caller.
                _logger.ChannelCreationInterrupted(ClientProvidedName, ex);
                await Task.Delay(s_lossReportPause, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Declares <paramref name="topology"/> on short-lived channels. RabbitMQ.Client records what is declared
    /// and re-declares it after every recovery, so this is for topology that appears after the first connect.
    /// What the broker refuses is reported and retried as at connect (see <see cref="TopologyRefusals"/>).
    /// </summary>
    internal async Task DeclareTopologyAsync(RabbitHaTopologyOptions topology, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topology);
        IReadOnlyList<TopologyDeclaration> declarations = TopologyDeclarer.Plan(topology);
        IReadOnlyList<(TopologyDeclaration, TopologyRefusal?)> outcomes = await TopologyDeclarer.DeclareAsync(
            token => CreateChannelAsync(cancellationToken: token), declarations, cancellationToken).ConfigureAwait(false);
        _classicQueueWarnings.Track(topology);
        _classicQueueWarnings.WarnIfUnreplicated(Broker);
        ReportTopology(outcomes);
    }

    /// <summary>
    /// Creates a channel once the connection is open, waiting through a recovery but, unlike <see cref="CreateChannelAsync"/>,
    /// never connecting: background work must not reopen a connection that nobody uses any more.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The connection has been closed.</exception>
    private async Task<IChannel> CreateChannelWhenOpenAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            IConnection? connection;
            Task stateChanged;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_state == ConnectionState.Closed, this);
                connection = _state == ConnectionState.Open ? _connection : null;
                stateChanged = _stateChanged.Task;
            }

            if (connection is not null)
            {
                return await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            await stateChanged.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Closes the connection (the hosted service calls this when the host stops). Final and idempotent.</summary>
    /// <param name="cancellationToken">Cuts the graceful close short; the connection is then aborted.</param>
    internal async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        // Before the connection goes: the retry then takes what the close does to it for the stop it is, not for an error.
        _refusals.Stop();

        IConnection? connection;
        Task? connecting;
        Task? replacing;
        TimeSpan? blockedFor;
        lock (_gate)
        {
            if (_state == ConnectionState.Closed)
            {
                return;
            }

            blockedFor = EndBlockedLocked();
            SetStateLocked(ConnectionState.Closed);
            StopWatchingRecoveryLocked();
            connection = _connection;
            _connection = null;
            connecting = _connectTask;
            replacing = _replacement;
        }

        ReportUnblocked(blockedFor);

        // Stops a start-up still retrying; its callers get the cancellation, its log says the rest.
        await _lifetime.CancelAsync().ConfigureAwait(false);
        if (connecting is not null)
        {
            await connecting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (replacing is not null)
        {
            await replacing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (connection is not null)
        {
            await CloseConnectionAsync(connection, cancellationToken).ConfigureAwait(false);
        }

        await _refusals.DisposeAsync().ConfigureAwait(false);
        _logger.ConnectionClosed(ClientProvidedName);
    }

    /// <summary>Closes the connection cleanly, waiting up to <see cref="RabbitHaOptions.ContinuationTimeout"/> for the broker.</summary>
    /// <returns>A task that completes when the connection is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        await CloseAsync(CancellationToken.None).ConfigureAwait(false);
        _lifetime.Dispose();
    }

    private Task EnsureConnectStartedLocked()
    {
        ObjectDisposedException.ThrowIf(_state == ConnectionState.Closed, this);
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
            ObjectDisposedException.ThrowIf(_state == ConnectionState.Closed, this);
            lifetime = _lifetime.Token;
            stale = _connection;
            _connection = null;
            SetStateLocked(ConnectionState.Connecting);
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
                string cause = args.Outcome.Exception is { } error ? ConnectionFailureClassifier.Describe(error) : "no exception";
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
                if (_state == ConnectionState.Connecting)
                {
                    SetStateLocked(ConnectionState.Disconnected);
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
            closed = _state == ConnectionState.Closed;
            if (!closed)
            {
                _connection = connection;
                _broker = broker;
                SetStateLocked(ConnectionState.Open);
            }
        }

        if (closed)
        {
            await AbortAsync(connection).ConfigureAwait(false);
            throw new ObjectDisposedException(GetType().FullName);
        }

        // After Open: a connection already lost by now reports it as soon as the handler is added.
        Subscribe(connection);
        _logger.Connected(ClientProvidedName, connection.Endpoint, broker);
        _classicQueueWarnings.WarnIfUnreplicated(broker);
        ReportTopology(topology);
    }

    /// <summary>
    /// Says once, on the main connection (the first to connect, and the publishing one shares its options), that
    /// certificate errors are accepted: RabbitMQ.Client applies them to every endpoint, the proxy and each fallback.
    /// </summary>
    private void WarnOfAcceptedCertificateErrors()
    {
        SslPolicyErrors accepted = _options.Tls.AcceptablePolicyErrors;
        if (_purpose != ConnectionPurpose.Main || !_settings.UseTls || accepted == SslPolicyErrors.None
            || Interlocked.Exchange(ref _certificateWarningLogged, 1) != 0)
        {
            return;
        }

        _logger.CertificateErrorsAccepted(ClientProvidedName, accepted, _settings.EndpointList);
    }

    /// <summary>
    /// Logs a refused server certificate, once per endpoint and problem: during a recovery RabbitMQ.Client tries again and
    /// again (<see cref="RabbitHaRecoveryOptions.RetryDelay"/>), and the same refusal each time would bury the log.
    /// </summary>
    private void ReportCertificateRefusal(CertificateRefusal refusal) =>
        _logger.CertificateRefused(ClientProvidedName, refusal.Endpoint, refusal.ServerName, refusal.ServerNameSource, refusal.Problem);

    private void ReportTopology(IReadOnlyList<(TopologyDeclaration Declaration, TopologyRefusal? Refusal)> outcomes)
    {
        if (outcomes.Count == 0)
        {
            return;
        }

        _refusals.Report(outcomes);
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            _logger.TopologyDeclared(ClientProvidedName, outcomes.Count(static o => o.Refusal is null), outcomes.Count);
        }
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

    private RabbitHaConnectionException DescribeFailure(Exception exception, StartupAttempts attempts)
    {
        if (exception is TimeoutRejectedException)
        {
            Exception? last = attempts.LastError;

            // An endpoint whose certificate is refused while another one is reachable (a proxy presenting the wrong name, a
            // node that is down) does not stop the retry; the message still says what was wrong with it.
            IReadOnlyList<CertificateRefusal> lastRefusals = attempts.LastCertificateRefusals;
            return new RabbitHaConnectionException(
                $"Could not connect '{ClientProvidedName}' to RabbitMQ at {_settings.EndpointList} within {_options.Startup.Timeout} " +
                $"({attempts.Count + 1} attempt(s)); last error: {(last is null ? "none, the first attempt did not finish" : ConnectionFailureClassifier.Describe(last))}." +
                (lastRefusals.Count > 0 ? $" In that attempt, {DescribeRefusals(lastRefusals)}." : string.Empty),
                last ?? exception);
        }

        if (ConnectionFailureClassifier.IsAuthenticationFailure(exception))
        {
            return new RabbitHaConnectionException(
                $"RabbitMQ at {_settings.EndpointList} refused the credentials of user '{_settings.UserName}' for virtual host " +
                $"'{_settings.VirtualHost}' ({ConnectionFailureClassifier.Describe(exception)}). Check the RabbitHa UserName and Password " +
                "options; authentication failures are not retried.",
                exception);
        }

        IReadOnlyList<CertificateRefusal> refusals = _settings.CertificateRefusals;
        if (refusals.Count > 0 && ConnectionFailureClassifier.IsTlsFailure(exception))
        {
            // SslStream only says that the callback rejected the certificate; the refusals say why, endpoint by endpoint.
            return new RabbitHaConnectionException(
                $"Could not connect '{ClientProvidedName}' to RabbitMQ at {_settings.EndpointList}: {DescribeRefusals(refusals)}. " +
                $"Certificate failures are not retried ({ConnectionFailureClassifier.Describe(exception)}).",
                exception);
        }

        // A refused endpoint and another that failed for good (a missing virtual host on a fallback): both are worth knowing.
        return new RabbitHaConnectionException(
            $"Could not connect '{ClientProvidedName}' to RabbitMQ at {_settings.EndpointList} (virtual host '{_settings.VirtualHost}'): " +
            $"{ConnectionFailureClassifier.Describe(exception)}. This failure is not transient and was not retried." +
            (refusals.Count > 0 ? $" Also, {DescribeRefusals(refusals)}." : string.Empty),
            exception);
    }

    private static string DescribeRefusals(IReadOnlyList<CertificateRefusal> refusals) =>
        $"TLS refused the server certificate of {string.Join("; and of ", refusals.Select(static r => r.ToString()).Distinct(StringComparer.Ordinal))}";

    private void Subscribe(IConnection connection)
    {
        connection.RecoverySucceededAsync += OnRecoverySucceededAsync;
        connection.ConnectionRecoveryErrorAsync += OnRecoveryErrorAsync;
        connection.ConnectionBlockedAsync += OnBlockedAsync;
        connection.ConnectionUnblockedAsync += OnUnblockedAsync;
        connection.CallbackExceptionAsync += OnCallbackExceptionAsync;
        connection.ConnectionShutdownAsync += OnShutdownAsync;
    }

    private void Unsubscribe(IConnection connection)
    {
        connection.RecoverySucceededAsync -= OnRecoverySucceededAsync;
        connection.ConnectionRecoveryErrorAsync -= OnRecoveryErrorAsync;
        connection.ConnectionBlockedAsync -= OnBlockedAsync;
        connection.ConnectionUnblockedAsync -= OnUnblockedAsync;
        connection.CallbackExceptionAsync -= OnCallbackExceptionAsync;
        connection.ConnectionShutdownAsync -= OnShutdownAsync;
    }

    private Task OnShutdownAsync(object sender, ShutdownEventArgs e)
    {
        bool willRecover = WillRecover(e);
        TimeSpan? blockedFor;
        AmqpTcpEndpoint? endpoint;
        lock (_gate)
        {
            // Closing it ourselves, or RabbitMQ.Client aborting a half-recovered connection while we are
            // already Recovering: not a new loss.
            // (RabbitMQ.Client raises this one from its inner connection, so the sender says nothing: a connection given
            // up on as stalled is unsubscribed before it is let go.)
            if (_state != ConnectionState.Open)
            {
                return Task.CompletedTask;
            }

            endpoint = _connection?.Endpoint;
            blockedFor = EndBlockedLocked();
            SetStateLocked(willRecover ? ConnectionState.Recovering : ConnectionState.Disconnected);
            _recoveryBackoff.Reset();
            if (willRecover)
            {
                WatchRecoveryLocked(_connection!, TimeSpan.Zero);
            }
            else
            {
                // The next ConnectAsync or channel request starts afresh (and releases this connection).
                _connectTask = null;
            }
        }

        _metrics.ConnectionLost(ClientProvidedName);
        _logger.ConnectionLost(ClientProvidedName, endpoint, e.Initiator, e.ReplyCode, e.ReplyText, willRecover, e.Exception);
        ReportUnblocked(blockedFor);
        Raise(ConnectionLost, e, nameof(ConnectionLost));
        return Task.CompletedTask;
    }

    private Task OnRecoverySucceededAsync(object sender, AsyncEventArgs e)
    {
        AmqpTcpEndpoint endpoint;
        BrokerInfo broker;
        BrokerInfo previous;
        lock (_gate)
        {
            // A connection given up on as stalled may still finish its recovery: it is not this one's any more.
            if (_state != ConnectionState.Recovering || _connection is null || !ReferenceEquals(sender, _connection))
            {
                return Task.CompletedTask;
            }

            StopWatchingRecoveryLocked();
            endpoint = _connection.Endpoint;
            previous = _broker;
            broker = ReadBroker(_connection);
            _broker = broker;
            SetStateLocked(ConnectionState.Open);
        }

        ReportRecovered(endpoint, broker, previous);
        return Task.CompletedTask;
    }

    private void ReportRecovered(AmqpTcpEndpoint endpoint, BrokerInfo broker, BrokerInfo previous)
    {
        _metrics.ConnectionRecovered(ClientProvidedName);
        _logger.ConnectionRecovered(ClientProvidedName, endpoint);
        if (broker != previous)
        {
            _logger.BrokerChanged(ClientProvidedName, broker, previous);
        }

        _classicQueueWarnings.WarnIfUnreplicated(broker);
        Raise(ConnectionRecovered, nameof(ConnectionRecovered));
    }

    /// <summary>
    /// One reconnection attempt failed: the backoff before the next one is taken here. RabbitMQ.Client awaits this event
    /// in its recovery loop, and otherwise waits the same fixed interval before every attempt (with no hook for a
    /// backoff): the interval is <see cref="RabbitHaRecoveryOptions.FirstAttemptDelay"/>, zero by default, so that the
    /// first attempt after a loss goes at once and the later ones wait what this adds.
    /// </summary>
    private async Task OnRecoveryErrorAsync(object sender, ConnectionRecoveryErrorEventArgs e)
    {
        TimeSpan delay;
        lock (_gate)
        {
            if (_state != ConnectionState.Recovering || !ReferenceEquals(sender, _connection))
            {
                return;
            }

            delay = _recoveryBackoff.Next();

            // An attempt ended: the recovery is alive. The next attempt starts after the pause.
            WatchRecoveryLocked(_connection!, delay);
        }

        _metrics.RecoveryFailed(ClientProvidedName);
        if (_logger.IsEnabled(LogLevel.Warning))
        {
            // Only the cause, as for start-up attempts: RabbitMQ.Client retries for as long as the cluster is unreachable,
            // and a stack trace per attempt would bury the log during an outage.
            _logger.RecoveryFailed(ClientProvidedName, ConnectionFailureClassifier.Describe(e.Exception), delay);
        }

        Raise(RecoveryFailed, e, nameof(RecoveryFailed));
        try
        {
            await Task.Delay(delay, _timeProvider ?? TimeProvider.System, e.CancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (e.CancellationToken.IsCancellationRequested)
        {
            // The connection is being closed: RabbitMQ.Client ends its recovery loop.
        }
    }

    private Task OnBlockedAsync(object sender, ConnectionBlockedEventArgs e)
    {
        lock (_gate)
        {
            if (_state == ConnectionState.Closed)
            {
                return Task.CompletedTask;
            }

            if (_blockedReason is null)
            {
                _blockedSince = Stopwatch.GetTimestamp();
            }

            _blockedReason = e.Reason;
        }

        _logger.ConnectionBlocked(ClientProvidedName, e.Reason);
        Raise(Blocked, e, nameof(Blocked));
        return Task.CompletedTask;
    }

    private Task OnUnblockedAsync(object sender, AsyncEventArgs e)
    {
        TimeSpan? blockedFor;
        lock (_gate)
        {
            blockedFor = EndBlockedLocked();
        }

        ReportUnblocked(blockedFor);
        return Task.CompletedTask;
    }

    private Task OnCallbackExceptionAsync(object sender, CallbackExceptionEventArgs e)
    {
        string detail = string.Join(", ", e.Detail.Select(static pair => $"{pair.Key}: {pair.Value}"));
        _logger.CallbackException(ClientProvidedName, detail, e.Exception);
        return Task.CompletedTask;
    }

    /// <summary>Ends a block, returning how long it lasted, or <see langword="null"/> if there was none.</summary>
    private TimeSpan? EndBlockedLocked()
    {
        if (_blockedReason is null)
        {
            return null;
        }

        _blockedReason = null;
        return Stopwatch.GetElapsedTime(_blockedSince);
    }

    private void ReportUnblocked(TimeSpan? blockedFor)
    {
        if (blockedFor is not { } duration)
        {
            return;
        }

        _metrics.BlockedFor(duration, ClientProvidedName);
        _logger.ConnectionUnblocked(ClientProvidedName, duration);
        Raise(Unblocked, nameof(Unblocked));
    }

    private void SetStateLocked(ConnectionState next)
    {
        ConnectionState previous = _state;
        if (previous == next)
        {
            return;
        }

        _state = next;
        if (next == ConnectionState.Open)
        {
            _metrics.ConnectionOpened(ClientProvidedName);
        }
        else if (previous == ConnectionState.Open)
        {
            _metrics.ConnectionNoLongerOpen(ClientProvidedName);
        }

        // Continuations run asynchronously (NewSignal), so waiters never run under the lock.
        TaskCompletionSource changed = _stateChanged;
        _stateChanged = NewSignal();
        changed.TrySetResult();
    }

    private void Raise<TEventArgs>(EventHandler<TEventArgs>? handlers, TEventArgs args, string eventName)
    {
        if (handlers is null)
        {
            return;
        }

        foreach (EventHandler<TEventArgs> handler in handlers.GetInvocationList().Cast<EventHandler<TEventArgs>>())
        {
            try
            {
                handler(this, args);
            }
            catch (Exception ex)
            {
                // A subscriber's bug must not stop the other subscribers or RabbitMQ.Client's recovery loop,
                // which is the thread raising this; it is logged as an error, not hidden.
                _logger.EventHandlerFailed(eventName, ClientProvidedName, ex);
            }
        }
    }

    private void Raise(EventHandler? handlers, string eventName)
    {
        if (handlers is null)
        {
            return;
        }

        foreach (EventHandler handler in handlers.GetInvocationList().Cast<EventHandler>())
        {
            try
            {
                handler(this, EventArgs.Empty);
            }
            catch (Exception ex)
            {
                // As above: logged, and the remaining handlers and the recovery carry on.
                _logger.EventHandlerFailed(eventName, ClientProvidedName, ex);
            }
        }
    }

    private async Task CloseConnectionAsync(IConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            // Aborting a connection that is already down (recovering) skips waiting for a broker that is not there.
            await connection.CloseAsync(Constants.ReplySuccess, "Closed by the application", _options.ContinuationTimeout,
                abort: !connection.IsOpen, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationInterruptedException or IOException or TimeoutException or OperationCanceledException)
        {
            // Lost while closing, or the host's stop timeout ran out: there is nothing more to close cleanly.
            _logger.CloseFailed(ClientProvidedName, ex);
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The broker's server properties; after a recovery, RabbitMQ.Client's connection shows those of the new one.</summary>
    private static BrokerInfo ReadBroker(IConnection connection)
    {
        try
        {
            return BrokerInfo.FromServerProperties(connection.ServerProperties);
        }
        catch (ObjectDisposedException)
        {
            // Disposed under us (closing while connecting): nothing will read it.
            return BrokerInfo.Unknown;
        }
    }

    private static async Task AbortAsync(IConnection connection)
    {
        await connection.AbortAsync(CancellationToken.None).ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The same rule RabbitMQ.Client's automatic recovery applies to decide whether it reconnects.</summary>
    internal static bool WillRecover(ShutdownEventArgs e) => e.Initiator switch
    {
        ShutdownInitiator.Peer => e.ReplyCode != Constants.AccessRefused,
        ShutdownInitiator.Library => e.Exception is not ThreadAbortException,
        _ => false,
    };

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

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
