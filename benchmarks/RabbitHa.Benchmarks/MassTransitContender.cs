using System.Reflection;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace RabbitHa.Benchmarks;

/// <summary>
/// MassTransit 8 (Apache-2.0; 9.x is under a commercial licence) set up as its documentation recommends for reliability:
/// a generic host with <c>AddMassTransit</c> + <c>UsingRabbitMq</c>, the cluster's AMQP URI through HAProxy, publisher
/// confirms on (the 8.x default, set explicitly so the benchmark does not lean on a default), durable (persistent)
/// messages, and its own connection handling: the hosted service waits for the broker at start
/// (<see cref="MassTransitHostOptions.WaitUntilStarted"/>), MassTransit reconnects by itself (its connection factory turns
/// RabbitMQ.Client's automatic recovery off) and retries a send that fails on a lost connection with its transport retry
/// policy. Nothing of that is tuned here. No consumers: the benchmark counts deliveries itself.
/// </summary>
/// <remarks>
/// MassTransit has no way to send to the default exchange: <c>queue:&lt;name&gt;</c> sends to an exchange named after the
/// queue, which it declares (durable, fanout) together with the queue (durable, no arguments: the same as the benchmark's
/// own declaration, so nothing conflicts) and a binding between them, once per channel. <c>exchange:&lt;name&gt;</c> would
/// declare the exchange without binding it, and every message would be dropped as unroutable. So MassTransit gets its
/// exchange and binding, and its messages take one more hop inside the broker than raw's and RabbitHa's.
/// </remarks>
internal sealed class MassTransitContender : IContender
{
    private static readonly string Payload = new('x', 256);
    private readonly IHost _host;
    private readonly ISendEndpoint _endpoint;

    private MassTransitContender(IHost host, ISendEndpoint endpoint, string name)
    {
        _host = host;
        _endpoint = endpoint;
        ConnectionName = name;
    }

    /// <summary>Gets the version of the MassTransit package in use, as the output states it.</summary>
    public static string Version { get; } =
        typeof(IBus).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";

    public string ConnectionName { get; }

    /// <summary>Gets <see langword="null"/>: MassTransit counts no re-sends where the benchmark could read them.</summary>
    public long? Resent => null;

    /// <summary>One line saying how MassTransit is configured, for the output.</summary>
    public static string Describe(string queue) =>
        $"MassTransit {Version}: AddMassTransit (usage telemetry disabled) + UsingRabbitMq, Host(HAProxy's AMQP URI, connection name bench-masstransit-*), " +
        "PublisherConfirmation = true (the 8.x default, set explicitly), persistent messages (its default), " +
        "MassTransitHostOptions.WaitUntilStarted = true (StartTimeout 60 s), heartbeat 30 s as for the others, its own reconnect " +
        $"and send retry; ISendEndpoint.Send to queue:{queue} (MassTransit declares exchange '{queue}', fanout, bound to the queue); " +
        "body: its JSON envelope around a 256-character string; logs: warnings and errors.";

    public static async Task<MassTransitContender> CreateAsync(Uri uri, string queue)
    {
        var name = "bench-masstransit-" + Guid.NewGuid().ToString("N")[..8];

        // MassTransit keeps its log context in an AsyncLocal and configures it only where none is set: one left in this
        // flow by an earlier contender's host, disposed since, would fail this host's start (ObjectDisposedException from
        // its LoggerFactory; seen with two hosts one after the other in one flow). Cleared here, for this flow only.
        LogContext.Current = null;
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        BenchmarkLogging.Configure(builder.Logging);
        builder.Services.Configure<MassTransitHostOptions>(o =>
        {
            // Documented for reliability: start-up waits until the broker connection is established (bounded here, so a
            // broken cluster fails the benchmark instead of hanging it).
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromSeconds(60);
            o.StopTimeout = TimeSpan.FromSeconds(30);
        });
        builder.Services.AddMassTransit(x =>
        {
            // MassTransit 8.5 reports usage to its vendor over the internet by default; a benchmark talks to its own cluster only.
            x.DisableUsageTelemetry();
            x.UsingRabbitMq((_, cfg) =>
                cfg.Host(uri, name, h =>
                {
                    h.PublisherConfirmation = true;
                    h.Heartbeat(TimeSpan.FromSeconds(30));
                }));
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync();
            var endpoint = await host.Services.GetRequiredService<IBus>().GetSendEndpoint(new Uri($"queue:{queue}"));

            // The first send declares MassTransit's exchange, queue and binding and makes sure its connection is open:
            // done here, so that the connection is listed (its node can be found) and the measured run does not pay for
            // the declarations. Callers purge the queue after creating a contender.
            await endpoint.Send(new BenchmarkMessage(Payload), context => context.MessageId = MessageIds.ToGuid(-1));
            return new MassTransitContender(host, endpoint, name);
        }
        catch
        {
            await host.StopAndDisposeAsync(TimeSpan.FromSeconds(60));
            throw;
        }
    }

    public Task PublishAsync(int i, CancellationToken cancellationToken = default) =>
        _endpoint.Send(new BenchmarkMessage(Payload), context => context.MessageId = MessageIds.ToGuid(i), cancellationToken);

    public ValueTask DisposeAsync() => new(_host.StopAndDisposeAsync(TimeSpan.FromSeconds(60)));
}

/// <summary>MassTransit's message: its JSON envelope carries this 256-character payload.</summary>
internal sealed record BenchmarkMessage(string Payload);
