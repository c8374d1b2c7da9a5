using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Internal.Consuming;
using RabbitHa.Client.Internal.Diagnostics;

namespace RabbitHa.Client.Internal.DependencyInjection;

/// <summary>
/// Starts and stops everything one <c>AddRabbitHa()</c> registered, in the one order that loses nothing. Start:
/// the main connection (the topology is declared on it), the publishing connection when a publisher or a consumer
/// needs it, then the consumers. Stop: the consumers first (their handlers may still publish while they drain),
/// then the publishing connection, then the main one. Start-up waits, at most <see cref="RabbitHaStartupOptions.Timeout"/>
/// per connection, for the cluster and fails with the reason if it cannot be reached. It waits for each connection's first
/// connect only (<see cref="RabbitHaConnection.StartAsync"/>), not through a recovery: a connection lost again during the
/// start is not waited for, and the consumers wait for it themselves.
/// </summary>
/// <remarks>
/// One service rather than one per feature: the host stops hosted services in the reverse order of their
/// registration, and that order would otherwise depend on whether the application called <c>AddPublisher()</c>
/// before or after <c>AddConsumer()</c>.
/// </remarks>
internal sealed class RabbitHaHostedService : IHostedService, IAsyncDisposable
{
    private readonly RabbitHaConnection _main;
    private readonly RabbitHaConnection _publishing;
    private readonly List<ConsumerRegistration> _registrations;
    private readonly IServiceProvider _services;
    private readonly bool _publishes;
    private readonly ILoggerFactory _loggerFactory;
    private readonly List<RabbitHaConsumer> _consumers = [];

    public RabbitHaHostedService(
        RabbitHaConnection main,
        [FromKeyedServices(RabbitHaServiceKeys.PublisherConnection)] RabbitHaConnection publishing,
        IEnumerable<ConsumerRegistration> registrations,
        IServiceProvider services,
        ILoggerFactory? loggerFactory = null)
    {
        _main = main;
        _publishing = publishing;
        _registrations = registrations.ToList();
        _services = services;
        _publishes = _registrations.Count > 0 || services.GetService<IServiceProviderIsService>()?.IsService(typeof(IRabbitHaPublisher)) == true;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
    }

    /// <summary>Gets the consumers, once started; for tests.</summary>
    internal IReadOnlyList<RabbitHaConsumer> Consumers => _consumers;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _main.StartAsync(cancellationToken).ConfigureAwait(false);
        if (_publishes)
        {
            await _publishing.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        StartConsumers();
    }

    /// <summary>Creates and starts the consumers (subscribing happens in the background); once.</summary>
    internal void StartConsumers()
    {
        if (_consumers.Count > 0 || _registrations.Count == 0)
        {
            return;
        }

        var options = _services.GetRequiredService<IOptionsMonitor<RabbitHaConsumerOptions>>();
        var metrics = _services.GetRequiredService<ConsumerMetrics>();
        var registry = _services.GetRequiredService<ConsumerRegistry>();
        ILogger logger = _loggerFactory.CreateLogger<RabbitHaConsumer>();
        foreach (ConsumerRegistration registration in _registrations)
        {
            RabbitHaConsumerOptions consumerOptions = options.Get(registration.Name);
            IRabbitHaDeduplicationStore? store = consumerOptions.DeduplicateByMessageId ? _services.GetRequiredService<IRabbitHaDeduplicationStore>() : null;
            var supervisor = new ConsumerSupervisor(_main, consumerOptions, registration.CreateInvoker(_services), store,
                _services.GetRequiredService<IRabbitHaPublisher>(), metrics, logger, _services.GetRequiredService<IOptions<RabbitHaOptions>>().Value.Topology);
            _consumers.Add(new RabbitHaConsumer(supervisor));

            // The health check reports on every consumer, from its start.
            registry.Add(supervisor);
        }

        foreach (RabbitHaConsumer consumer in _consumers)
        {
            consumer.Supervisor.Start();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(_consumers.Select(consumer => consumer.StopAsync(cancellationToken))).ConfigureAwait(false);

        // Publishes in flight get the publisher's StopTimeout to be confirmed while the publishing connection is still open.
        if (_services.GetService<CreatedPublisher>()?.Publisher is { } publisher)
        {
            await publisher.StopAsync(cancellationToken).ConfigureAwait(false);
        }

        await _publishing.CloseAsync(cancellationToken).ConfigureAwait(false);
        await _main.CloseAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Releases the consumers when the container is disposed; they have stopped with the host by then.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (RabbitHaConsumer consumer in _consumers)
        {
            await consumer.DisposeAsync().ConfigureAwait(false);
        }
    }
}
