using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitHa.Client;

namespace RabbitHa.Benchmarks;

/// <summary>
/// Three RabbitHa consumer applications of one queue, each shaped as README shows: a generic host, its own
/// <c>AddRabbitHa()</c> (so its own connections, named <c>bench-consumer-N-*</c>) and <c>AddConsumer</c>, with
/// <see cref="RabbitHaConsumerOptions.DeduplicateByMessageId"/> off so that every duplicate is handled, and counted.
/// Started one after the other: HAProxy balances round-robin, so their consumer connections land on different nodes.
/// </summary>
internal sealed class ConsumerApps : IAsyncDisposable
{
    public const int Count = 3;

    private readonly List<IHost> _apps;

    private ConsumerApps(List<IHost> apps, string[] connectionNames)
    {
        _apps = apps;
        ConnectionNames = connectionNames;
    }

    /// <summary>Gets the name of each app's main connection, the one its consumer receives on.</summary>
    public IReadOnlyList<string> ConnectionNames { get; }

    /// <summary>Starts the apps and returns once the broker lists all of them as consumers of the queue.</summary>
    public static async Task<ConsumerApps> StartAsync(Uri uri, string queue, IHandledSink sink)
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var names = Enumerable.Range(1, Count).Select(i => $"bench-consumer-{i}-{id}").ToArray();
        var apps = new List<IHost>();
        var started = new ConsumerApps(apps, names);
        try
        {
            for (var i = 0; i < Count; i++)
            {
                var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
                BenchmarkLogging.Configure(builder.Logging);
                builder.Services.AddSingleton(new ConsumerSlot(sink, i));
                var name = names[i];
                builder.Services
                    .AddRabbitHa(o =>
                    {
                        o.Uri = uri.ToString();
                        o.ClientProvidedName = name;
                    })
                    .AddConsumer<RecordingHandler>(queue, o => o.DeduplicateByMessageId = false);
                var app = builder.Build();
                apps.Add(app);
                await app.StartAsync();
            }

            await BrokerAdmin.WaitForConsumersAsync(uri, queue, Count, TimeSpan.FromSeconds(60));
            return started;
        }
        catch
        {
            await started.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.StopAndDisposeAsync(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>Which consumer app a handler reports as.</summary>
    internal sealed record ConsumerSlot(IHandledSink Sink, int Consumer);

    /// <summary>The handler as an application registers it: created from DI for each message, the raw body untouched.</summary>
    internal sealed class RecordingHandler(ConsumerSlot slot) : IRabbitHaHandler<ReadOnlyMemory<byte>>
    {
        public Task HandleAsync(ReadOnlyMemory<byte> message, RabbitHaMessageContext context, CancellationToken cancellationToken)
        {
            slot.Sink.Handled(slot.Consumer, MessageIds.Parse(context.MessageId), context.Redelivered);
            return Task.CompletedTask;
        }
    }
}
