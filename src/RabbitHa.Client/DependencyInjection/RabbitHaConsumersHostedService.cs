using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RabbitHa.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Runs every consumer added with <c>AddConsumer</c>: starts them when the host starts (after the connection's
/// hosted service, registered before it, has connected) and stops them, all at once, when the host stops,
/// before the connection closes.
/// </summary>
internal sealed class RabbitHaConsumersHostedService : IHostedService, IAsyncDisposable
{
    private readonly IReadOnlyList<ConsumerRegistration> _registrations;
    private readonly IServiceProvider _services;
    private readonly IRabbitHaConnection _connection;
    private readonly IOptionsMonitor<RabbitHaConsumerOptions> _options;
    private readonly ConsumerMetrics _metrics;
    private readonly ILoggerFactory _loggerFactory;
    private readonly List<RabbitHaConsumer> _consumers = [];

    public RabbitHaConsumersHostedService(
        IEnumerable<ConsumerRegistration> registrations,
        IServiceProvider services,
        IRabbitHaConnection connection,
        IOptionsMonitor<RabbitHaConsumerOptions> options,
        ConsumerMetrics metrics,
        ILoggerFactory? loggerFactory = null)
    {
        _registrations = registrations.ToList();
        _services = services;
        _connection = connection;
        _options = options;
        _metrics = metrics;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
    }

    /// <summary>Gets the consumers, once started; for tests.</summary>
    internal IReadOnlyList<RabbitHaConsumer> Consumers => _consumers;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_consumers.Count > 0)
        {
            return Task.CompletedTask;
        }

        ILogger logger = _loggerFactory.CreateLogger<RabbitHaConsumer>();
        foreach (ConsumerRegistration registration in _registrations)
        {
            RabbitHaConsumerOptions options = _options.Get(registration.Name);
            IRabbitHaDeduplicationStore? store = options.DeduplicateByMessageId ? _services.GetRequiredService<IRabbitHaDeduplicationStore>() : null;
            var supervisor = new ConsumerSupervisor(_connection, options, registration.CreateInvoker(_services), store, _metrics, logger);
            _consumers.Add(new RabbitHaConsumer(supervisor));
        }

        foreach (RabbitHaConsumer consumer in _consumers)
        {
            consumer.Supervisor.Start();
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_consumers.Select(consumer => consumer.StopAsync(cancellationToken)));

    /// <summary>Releases the consumers when the container is disposed; they have stopped with the host by then.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (RabbitHaConsumer consumer in _consumers)
        {
            await consumer.DisposeAsync().ConfigureAwait(false);
        }
    }
}
