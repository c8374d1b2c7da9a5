using System.Diagnostics;
using System.Net.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Tests.TestSupport;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace RabbitHa.Client.Tests;

/// <summary>
/// The connection's behaviour that needs no broker: against a closed loopback port every connect attempt
/// is a real, fast, transient failure.
/// </summary>
[Trait("Category", "Unit")]
public sealed class RabbitHaConnectionTests
{
    private const string Password = "never-show-this-password";

    [Fact]
    public async Task ConnectAsync_WhenBrokerUnreachable_FailsAfterStartupTimeoutNamingEndpointsButNotPassword()
    {
        using var logs = new CapturingLoggerProvider();
        int port = ClosedPort.Get();
        await using RabbitHaConnection connection = CreateConnection(port, TimeSpan.FromSeconds(1), logs);

        var ex = await Assert.ThrowsAsync<RabbitHaConnectionException>(() => connection.ConnectAsync());

        Assert.Contains($"127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("within 00:00:01", ex.Message, StringComparison.Ordinal);
        Assert.IsType<BrokerUnreachableException>(ex.InnerException);
        Assert.Equal(RabbitHaConnectionState.Disconnected, connection.State);
        Assert.DoesNotContain(Password, ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Password, logs.AllText, StringComparison.Ordinal);
        Assert.Contains("[ConnectAttemptFailed]", logs.AllText, StringComparison.Ordinal);

        // The failure is the caller's to report (the host logs it at start); RabbitHa does not write it down as well.
        Assert.DoesNotContain(logs.Lines, l => l.StartsWith("Error ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConnectAsync_WhenCertificateErrorsAccepted_WarnsOnceOnTheMainConnectionOnly()
    {
        using var logs = new CapturingLoggerProvider();
        int port = ClosedPort.Get();
        Action<RabbitHaOptions> tls = o =>
        {
            o.Tls.Enabled = true;
            o.Tls.ServerName = "haproxy.example";
            o.Tls.AcceptablePolicyErrors = SslPolicyErrors.RemoteCertificateNameMismatch;
        };
        await using RabbitHaConnection main = CreateConnection(port, TimeSpan.FromMilliseconds(100), logs, configure: tls);
        await using RabbitHaConnection publishing = CreateConnection(port, TimeSpan.FromMilliseconds(100), logs, configure: tls, purpose: ConnectionPurpose.Publishing);

        await Assert.ThrowsAsync<RabbitHaConnectionException>(() => main.ConnectAsync());
        await Assert.ThrowsAsync<RabbitHaConnectionException>(() => main.ConnectAsync());
        await Assert.ThrowsAsync<RabbitHaConnectionException>(() => publishing.ConnectAsync());

        string warning = Assert.Single(logs.Lines, l => l.Contains("[CertificateErrorsAccepted]", StringComparison.Ordinal));
        Assert.StartsWith("Warning ", warning, StringComparison.Ordinal);
        Assert.Contains("'unit-test'", warning, StringComparison.Ordinal);
        Assert.Contains("RemoteCertificateNameMismatch", warning, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_WhenCertificateErrorsNotAccepted_DoesNotWarn()
    {
        using var logs = new CapturingLoggerProvider();
        await using RabbitHaConnection connection = CreateConnection(ClosedPort.Get(), TimeSpan.FromMilliseconds(100), logs, configure: o =>
        {
            o.Tls.Enabled = true;
            o.Tls.ServerName = "haproxy.example";
        });

        await Assert.ThrowsAsync<RabbitHaConnectionException>(() => connection.ConnectAsync());

        Assert.DoesNotContain("[CertificateErrorsAccepted]", logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_WhenProxyPortClosed_TriesFallbackEndpointsAndRetries()
    {
        using var node = new AcceptAndCloseServer();
        await using RabbitHaConnection connection = CreateConnection(ClosedPort.Get(), TimeSpan.FromSeconds(1.5), fallbackPort: node.Port);

        var ex = await Assert.ThrowsAsync<RabbitHaConnectionException>(() => connection.ConnectAsync());

        Assert.True(node.Accepted >= 2, $"the fallback was tried {node.Accepted} time(s)");
        Assert.Contains($"127.0.0.1:{node.Port}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_WhenProxyHasNoLiveBackend_RetriesAsTransient()
    {
        using var proxy = new AcceptAndCloseServer();
        await using RabbitHaConnection connection = CreateConnection(proxy.Port, TimeSpan.FromSeconds(1.5));

        var ex = await Assert.ThrowsAsync<RabbitHaConnectionException>(() => connection.ConnectAsync());

        Assert.True(proxy.Accepted >= 2, $"the proxy was tried {proxy.Accepted} time(s)");
        Assert.Contains("within 00:00:01.5", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_WhenCalledConcurrently_SharesOneAttempt()
    {
        await using RabbitHaConnection connection = CreateConnection(ClosedPort.Get(), TimeSpan.FromMilliseconds(500));

        Task first = connection.ConnectAsync();
        Task second = connection.ConnectAsync();

        var firstError = await Assert.ThrowsAsync<RabbitHaConnectionException>(() => first);
        var secondError = await Assert.ThrowsAsync<RabbitHaConnectionException>(() => second);
        Assert.Same(firstError, secondError);
    }

    [Fact]
    public async Task ConnectAsync_WhenCallerCancels_StopsWaitingPromptly()
    {
        await using RabbitHaConnection connection = CreateConnection(ClosedPort.Get(), TimeSpan.FromMinutes(1));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var stopwatch = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connection.ConnectAsync(cts.Token));

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task CreateChannelAsync_WhileConnectionUnavailable_HonorsCancellation()
    {
        await using RabbitHaConnection connection = CreateConnection(ClosedPort.Get(), TimeSpan.FromMinutes(1));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connection.CreateChannelAsync(cancellationToken: cts.Token));
        Assert.Equal(RabbitHaConnectionState.Connecting, connection.State);
    }

    [Fact]
    public async Task CreateChannelAsync_WhenConnectFails_ThrowsTheConnectFailure()
    {
        await using RabbitHaConnection connection = CreateConnection(ClosedPort.Get(), TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAsync<RabbitHaConnectionException>(() => connection.CreateChannelAsync());
    }

    [Fact]
    public async Task DisposeAsync_WhileConnecting_StopsTheAttemptAndCloses()
    {
        RabbitHaConnection connection = CreateConnection(ClosedPort.Get(), TimeSpan.FromMinutes(1));
        Task connecting = connection.ConnectAsync();
        await WaitForStateAsync(connection, RabbitHaConnectionState.Connecting);
        var stopwatch = Stopwatch.StartNew();

        await connection.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => connecting);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"took {stopwatch.Elapsed}");
        Assert.Equal(RabbitHaConnectionState.Closed, connection.State);
    }

    [Fact]
    public async Task ConnectAsync_AfterDispose_ThrowsObjectDisposedException()
    {
        RabbitHaConnection connection = CreateConnection(ClosedPort.Get(), TimeSpan.FromSeconds(1));
        await connection.DisposeAsync();
        await connection.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => connection.ConnectAsync());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => connection.CreateChannelAsync());
    }

    [Fact]
    public async Task NewConnection_IsDisconnectedAndNotBlocked()
    {
        await using RabbitHaConnection connection = CreateConnection(ClosedPort.Get(), TimeSpan.FromSeconds(1));

        Assert.Equal(RabbitHaConnectionState.Disconnected, connection.State);
        Assert.False(connection.IsBlocked);
        Assert.Null(connection.BlockedReason);
        Assert.Null(connection.CurrentEndpoint);
        Assert.Equal("unit-test", connection.ClientProvidedName);
    }

    [Fact]
    public void Constructor_WhenOptionsInvalid_ThrowsOptionsValidationException()
    {
        IOptions<RabbitHaOptions> options = new OptionsManager<RabbitHaOptions>(new OptionsFactory<RabbitHaOptions>(
            [new ConfigureOptions<RabbitHaOptions>(o => o.Port = 70000)],
            [],
            [new RabbitHaOptionsValidator()]));

        var ex = Assert.Throws<OptionsValidationException>(() => new RabbitHaConnection(options, new RabbitHaMetrics()));

        Assert.Contains("RabbitHa:Port must be between 1 and 65535 (was 70000).", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_WhenArgumentsNull_ThrowsArgumentNullExceptionNamingThem()
    {
        using var metrics = new RabbitHaMetrics();

        Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => new RabbitHaConnection(null!, metrics)).ParamName);
        Assert.Equal("metrics", Assert.Throws<ArgumentNullException>(
            () => new RabbitHaConnection(Options.Create(new RabbitHaOptions()), null!)).ParamName);
    }

    [Theory]
    [InlineData(ShutdownInitiator.Peer, Constants.ConnectionForced, true)]
    [InlineData(ShutdownInitiator.Peer, Constants.InternalError, true)]
    [InlineData(ShutdownInitiator.Peer, Constants.AccessRefused, false)]
    [InlineData(ShutdownInitiator.Library, Constants.InternalError, true)]
    [InlineData(ShutdownInitiator.Application, Constants.ReplySuccess, false)]
    public void WillRecover_MatchesRabbitMqClientRecoveryRule(ShutdownInitiator initiator, int replyCode, bool expected)
    {
        Assert.Equal(expected, RabbitHaConnection.WillRecover(new ShutdownEventArgs(initiator, (ushort)replyCode, "reason")));
    }

    private static RabbitHaConnection CreateConnection(
        int port,
        TimeSpan startupTimeout,
        ILoggerProvider? logs = null,
        int? fallbackPort = null,
        Action<RabbitHaOptions>? configure = null,
        ConnectionPurpose purpose = ConnectionPurpose.Main)
    {
        var options = new RabbitHaOptions
        {
            Host = "127.0.0.1",
            Port = port,
            Password = Password,
            ClientProvidedName = "unit-test",
            ConnectionTimeout = TimeSpan.FromSeconds(1),
            Startup =
            {
                Timeout = startupTimeout,
                RetryDelay = TimeSpan.FromMilliseconds(20),
                MaxRetryDelay = TimeSpan.FromMilliseconds(100),
            },
        };
        options.FallbackEndpoints.Add($"127.0.0.1:{fallbackPort ?? port}");
        configure?.Invoke(options);

        return new RabbitHaConnection(Options.Create(options), new RabbitHaMetrics(), TestLogging.CreateLogger<RabbitHaConnection>(logs), purpose: purpose);
    }

    private static async Task<RabbitHaConnectionState> WaitForStateAsync(RabbitHaConnection connection, RabbitHaConnectionState expected)
    {
        var deadline = Stopwatch.StartNew();
        while (connection.State != expected && deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(5);
        }

        return connection.State;
    }
}
