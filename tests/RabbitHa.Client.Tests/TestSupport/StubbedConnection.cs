using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitMQ.Client;

namespace RabbitHa.Client.Tests.TestSupport;

/// <summary>
/// A <see cref="RabbitHaConnection"/> over one <see cref="StubAmqpConnection"/>, on a fake clock: the test opens it, then
/// raises what RabbitMQ.Client would (a loss, a failed recovery attempt, a recovery, a block) through <see cref="Stub"/>.
/// </summary>
internal sealed class StubbedConnection : IAsyncDisposable
{
    private StubbedConnection(RabbitHaConnection connection, StubAmqpConnection stub, FakeTimeProvider time)
    {
        Connection = connection;
        Stub = stub;
        Time = time;
    }

    public RabbitHaConnection Connection { get; }

    public StubAmqpConnection Stub { get; }

    /// <summary>Gets the clock of the recovery's backoff and its watch.</summary>
    public FakeTimeProvider Time { get; }

    /// <summary>A connection not opened yet; <see cref="RabbitHaConnection.ConnectAsync"/> opens it on the stub.</summary>
    public static StubbedConnection Create(CapturingLoggerProvider? logs = null)
    {
        var time = new FakeTimeProvider();
        (IConnection amqp, StubAmqpConnection stub) = StubAmqpConnection.Create(new DeclaringBroker(), "RabbitMQ", "4.0.5");
        return new StubbedConnection(CreateConnection(() => amqp, time, logs), stub, time);
    }

    /// <summary>
    /// A <see cref="RabbitHaConnection"/> whose every open (the first, and each replacing a stalled recovery) returns
    /// <paramref name="open"/>'s connection; logged at every level into <paramref name="logs"/> when given.
    /// </summary>
    public static RabbitHaConnection CreateConnection(Func<IConnection> open, TimeProvider time, CapturingLoggerProvider? logs, Action<RabbitHaOptions>? configure = null)
    {
        var options = new RabbitHaOptions
        {
            Host = "haproxy.stub",
            Password = "never-show-this-password",
            ClientProvidedName = "unit-test",
        };
        configure?.Invoke(options);

        return new RabbitHaConnection(Options.Create(options), new RabbitHaMetrics(), TestLogging.CreateLogger<RabbitHaConnection>(logs), time)
        {
            ConnectionOpener = _ => Task.FromResult(open()),
        };
    }

    /// <summary>A connection opened on the stub.</summary>
    public static async Task<StubbedConnection> OpenAsync(CapturingLoggerProvider? logs = null)
    {
        StubbedConnection stubbed = Create(logs);
        await stubbed.Connection.ConnectAsync();
        return stubbed;
    }

    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}
