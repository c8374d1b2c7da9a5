using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Resilience;
using RabbitHa.Client.Internal.Topology;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Internal.Connection;

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
    private readonly ConnectionEventQueue _events;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly object _gate = new();

    private RabbitHaConnectionState _state = RabbitHaConnectionState.Disconnected;
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
        _events = new ConnectionEventQueue(this, _name, _logger);
        if (purpose == ConnectionPurpose.Main)
        {
            _classicQueueWarnings.Track(_options.Topology);
        }

        // On every connection, not only the main one: the application may declare on any channel it opens, and
        // RabbitMQ.Client re-declares all of it on recovery.
        _factory = _settings.CreateFactory(_options, TopologyRecoveryRefusalHandler.Create(_refusals, _options.Topology));
    }

    /// <inheritdoc/>
    public RabbitHaConnectionState State
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
                return _state == RabbitHaConnectionState.Open ? _connection?.Endpoint : null;
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
        while (true)
        {
            Task next;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_state == RabbitHaConnectionState.Closed, this);
                if (_state == RabbitHaConnectionState.Open)
                {
                    return;
                }

                // Not connected, or a first connect under way: join it so that its failure reaches this caller.
                // Recovering: wait for RabbitMQ.Client's recovery (or the replacement of a stalled one) to report success.
                next = _state is RabbitHaConnectionState.Disconnected or RabbitHaConnectionState.Connecting
                    ? EnsureConnectStartedLocked()
                    : _stateChanged.Task;
            }

            try
            {
                await next.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && State == RabbitHaConnectionState.Closed)
            {
                // The connect this call joined was stopped by the close, not by this caller.
                throw new ObjectDisposedException(GetType().FullName);
            }
        }
    }

    /// <summary>
    /// The hosted service's start: starts the first connect if nobody has, or joins the one under way, and completes once it
    /// has opened the connection, whatever happened since. Unlike <see cref="ConnectAsync"/> it does not wait through a
    /// recovery, so the host's start waits at most <see cref="RabbitHaStartupOptions.Timeout"/> per connection.
    /// </summary>
    /// <exception cref="RabbitHaConnectionException">The first connect failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled, or the connection closed while connecting.</exception>
    /// <exception cref="ObjectDisposedException">The connection has been closed.</exception>
    internal async Task StartAsync(CancellationToken cancellationToken)
    {
        Task connecting;
        lock (_gate)
        {
            connecting = EnsureConnectStartedLocked();
        }

        await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<IChannel> CreateChannelAsync(CreateChannelOptions? options = null, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            await ConnectAsync(cancellationToken).ConfigureAwait(false);
            IConnection? connection;
            lock (_gate)
            {
                connection = _state == RabbitHaConnectionState.Open ? _connection : null;
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
                ObjectDisposedException.ThrowIf(_state == RabbitHaConnectionState.Closed, this);
                connection = _state == RabbitHaConnectionState.Open ? _connection : null;
                stateChanged = _stateChanged.Task;
            }

            if (connection is not null)
            {
                return await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            await stateChanged.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void SetStateLocked(RabbitHaConnectionState next)
    {
        RabbitHaConnectionState previous = _state;
        if (previous == next)
        {
            return;
        }

        _state = next;
        if (next == RabbitHaConnectionState.Open)
        {
            _metrics.ConnectionOpened(ClientProvidedName);
        }
        else if (previous == RabbitHaConnectionState.Open)
        {
            _metrics.ConnectionNoLongerOpen(ClientProvidedName);
        }

        // Continuations run asynchronously (NewSignal), so waiters never run under the lock.
        TaskCompletionSource changed = _stateChanged;
        _stateChanged = NewSignal();
        changed.TrySetResult();
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

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
