using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitHa.Client;
using RabbitHa.Client.Internal.DependencyInjection;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Testing;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace RabbitHa.Chaos;

/// <summary>How a <see cref="Workload"/> runs.</summary>
internal sealed record WorkloadOptions
{
    /// <summary>Gets the steady publish rate, in messages a second; 0 for as fast as the window allows.</summary>
    public int Rate { get; init; } = 400;

    /// <summary>Gets how many publishes the producer keeps in flight at most (its concurrent callers).</summary>
    public int Window { get; init; } = 50;

    /// <summary>Gets how many messages to publish at most; <see langword="null"/> for until stopped.</summary>
    public int? MessageCount { get; init; }

    /// <summary>Gets a value indicating whether every connection also knows the nodes as fallbacks behind HAProxy.</summary>
    public bool Fallbacks { get; init; }

    /// <summary>Gets how the applications are laid out.</summary>
    public WorkloadShape Shape { get; init; } = WorkloadShape.OneApp;

    /// <summary>Gets a value indicating whether every connection speaks AMQP over TLS (<c>amqps://</c>, checked against the cluster's CA).</summary>
    public bool Tls { get; init; }
}

/// <summary>How a <see cref="Workload"/> lays out its applications.</summary>
public enum WorkloadShape
{
    /// <summary>
    /// The shape README recommends: three applications (generic hosts), each one <c>AddRabbitHa()</c> with
    /// <c>AddPublisher()</c> and <c>AddConsumer()</c>; the first one's publisher is the producer.
    /// </summary>
    OneApp = 0,

    /// <summary>One producer application with only a publisher, and three consumer applications with only a consumer each.</summary>
    OneRolePerConnection = 1,
}

/// <summary>
/// The steady workload every chaos scenario runs around its fault: one producer publishing with confirms through
/// <see cref="IRabbitHaPublisher"/>, three consumers acking, laid out as <see cref="WorkloadOptions.Shape"/> says, all
/// through HAProxy, and the books that prove what happened: every confirmed id, every handling (with counts, no
/// deduplication), every exception the producer's caller saw, and when confirms and handlings paused and resumed.
/// </summary>
internal sealed class Workload : IAsyncDisposable
{
    public const int ConsumerCount = 3;

    private readonly IRabbitHaCluster _cluster;
    private readonly WorkloadOptions _options;
    private readonly ITestOutputHelper _output;
    private readonly IServiceProvider _producerServices;
    private readonly List<IHost> _apps = [];
    private readonly List<(ServiceProvider Services, RabbitHaConsumer Consumer)> _consumers = [];
    private readonly List<Func<bool>> _subscribed = [];
    private readonly CancellationTokenSource _stopProducing = new();
    private readonly Books _books = new(ConsumerCount);
    private Task[] _producers = [];
    private long _next;
    private int _published;
    private long _producerStartedAt;
    private long _producerStoppedAt;
    private readonly List<long> _faults = [];

    private Workload(IRabbitHaCluster cluster, RabbitHaQueueType queueType, WorkloadOptions options, ITestOutputHelper output)
    {
        _cluster = cluster;
        _options = options;
        _output = output;
        QueueType = queueType;
        string id = Guid.NewGuid().ToString("N")[..8];
        Queue = $"chaos-{queueType.ToString().ToLowerInvariant()}-{id}";
        if (options.Shape == WorkloadShape.OneApp)
        {
            ConsumerNames = Enumerable.Range(1, ConsumerCount).Select(i => $"chaos-app-{i}-{id}").ToArray();
            ProducerName = ConsumerNames[0];
            for (int i = 0; i < ConsumerCount; i++)
            {
                _apps.Add(BuildApp(ConsumerNames[i], i));
            }

            _producerServices = _apps[0].Services;
        }
        else
        {
            ProducerName = $"chaos-producer-{id}";
            ConsumerNames = Enumerable.Range(1, ConsumerCount).Select(i => $"chaos-consumer-{i}-{id}").ToArray();
            _producerServices = BuildServices(ProducerName, services => services.AddPublisher(o => o.MaxInFlight = options.Window));
        }

        Watch(ProducerConnection.ClientProvidedName, ProducerConnection);
    }

    public WorkloadShape Shape => _options.Shape;

    public string Queue { get; }

    public RabbitHaQueueType QueueType { get; }

    public string ProducerName { get; }

    public IReadOnlyList<string> ConsumerNames { get; }

    /// <summary>Gets or sets the nodes of the producer's connection and of the queue's leader, once a scenario has looked them up.</summary>
    public (int Producer, int Leader)? Placement { get; set; }

    /// <summary>Publishes started so far.</summary>
    public int Published => Volatile.Read(ref _published);

    /// <summary>Publishes confirmed so far.</summary>
    public int Confirmed => _books.ConfirmedCount;

    /// <summary>The producer's publishing connection, to see where it is and whether it is blocked.</summary>
    public IRabbitHaConnection ProducerConnection => _producerServices.GetRequiredKeyedService<IRabbitHaConnection>(RabbitHaServiceKeys.PublisherConnection);

    /// <summary>The producer application's main connection (its topology; in the one-app shape its consumer too).</summary>
    private IRabbitHaConnection ProducerMainConnection => _producerServices.GetRequiredService<IRabbitHaConnection>();

    /// <summary>Declares the queue (the producer's topology), starts the consumers and waits until they are subscribed, then starts the producer.</summary>
    public static async Task<Workload> StartAsync(IRabbitHaCluster cluster, RabbitHaQueueType queueType, ITestOutputHelper output, WorkloadOptions? options = null)
    {
        Workload workload = await CreateAsync(cluster, queueType, output, options);
        try
        {
            await workload.StartConsumersAsync();
            workload.StartProducer();
            return workload;
        }
        catch
        {
            await workload.DisposeAsync();
            throw;
        }
    }

    /// <summary>Declares the queue and waits until every node has a replica of it; starts nothing else.</summary>
    public static async Task<Workload> CreateAsync(IRabbitHaCluster cluster, RabbitHaQueueType queueType, ITestOutputHelper output, WorkloadOptions? options = null)
    {
        if (queueType == RabbitHaQueueType.Classic && cluster.RabbitMqProfile != RabbitMqProfile.RabbitMq3)
        {
            // Declared without x-queue-type, it would become a quorum queue (the vhost's default type there): a classic
            // row would pass while measuring a quorum queue.
            throw new InvalidOperationException($"Classic queue rows do not run on {cluster.RabbitMqProfile}: {ScenarioDataAttribute.ClassicOnRabbitMq4}");
        }

        var workload = new Workload(cluster, queueType, options ?? new WorkloadOptions(), output);
        try
        {
            await workload.ProducerMainConnection.ConnectAsync();
            await workload.ProducerConnection.ConnectAsync();
            await Eventually.HoldsAsync(async () => await cluster.GetQueueReplicasAsync(workload.Queue) is { SynchronisedMirrors.Count: 2 },
                TimeSpan.FromSeconds(30), $"{workload.Queue} has a synchronised replica on every node");
            return workload;
        }
        catch
        {
            await workload.DisposeAsync();
            throw;
        }
    }

    public async Task StartConsumersAsync()
    {
        if (Shape == WorkloadShape.OneApp)
        {
            foreach (IHost app in _apps)
            {
                await app.StartAsync();
                Watch(app.Services.GetRequiredService<IRabbitHaConnection>().ClientProvidedName, app.Services.GetRequiredService<IRabbitHaConnection>());
                RabbitHaConsumer consumer = app.Services.GetServices<IHostedService>().OfType<RabbitHaHostedService>().Single().Consumers[0];
                _subscribed.Add(() => consumer.IsSubscribed);
            }

            await Eventually.HoldsAsync(() => Task.FromResult(_subscribed.All(s => s())), TimeSpan.FromSeconds(30), "every consumer is subscribed");
            return;
        }

        for (int i = 0; i < ConsumerCount; i++)
        {
            string name = ConsumerNames[i];
            ServiceProvider services = BuildServices(name, _ => { });
            var connection = services.GetRequiredService<IRabbitHaConnection>();
            Watch(name, connection);
            await connection.ConnectAsync();
            var consumer = RabbitHaConsumer.Create(connection, new RecordingHandler(_books, i), new RabbitHaConsumerOptions
            {
                Queue = Queue,
                Name = name,
                DeduplicateByMessageId = false, // duplicates are counted, not hidden
            }, loggerFactory: services.GetRequiredService<ILoggerFactory>());
            _consumers.Add((services, consumer));
            _subscribed.Add(() => consumer.IsSubscribed);
            await consumer.StartAsync();
        }

        await Eventually.HoldsAsync(() => Task.FromResult(_subscribed.All(s => s())), TimeSpan.FromSeconds(30),
            "every consumer is subscribed");
    }

    /// <summary>Starts the producer: <see cref="WorkloadOptions.Window"/> callers, sequential message ids, at <see cref="WorkloadOptions.Rate"/>.</summary>
    public void StartProducer()
    {
        var publisher = _producerServices.GetRequiredService<IRabbitHaPublisher>();
        _producerStartedAt = Stopwatch.GetTimestamp();
        _producers = Enumerable.Range(0, _options.Window).Select(_ => Task.Run(() => ProduceAsync(publisher, _stopProducing.Token))).ToArray();
    }

    /// <summary>Marks the moment a fault is injected: resume times count from here. A scenario of several steps marks each.</summary>
    public void MarkFault(string what)
    {
        lock (_faults)
        {
            _faults.Add(Stopwatch.GetTimestamp());
        }

        Log($"fault: {what}, after {Published} publishes, {Confirmed} confirmed");
    }

    /// <summary>Waits until the producer has confirmed and every consumer handled a message in the last second, every consumer subscribed.</summary>
    public async Task<TimeSpan> WaitUntilFlowingAsync(TimeSpan timeout, string after)
    {
        // Described at the deadline: what is still stuck, not what it was when the wait began.
        TimeSpan took = await Eventually.HoldsAsync(() => Task.FromResult(IsFlowing()), timeout, () => $"messages flow again after {after}: {Describe()}");
        Log($"flowing again {took.TotalSeconds:F1} s after {after}");
        return took;
    }

    /// <summary>Waits until the producer's callers have all returned (the message count is reached).</summary>
    public async Task WaitUntilPublishedAsync(TimeSpan timeout)
    {
        await Task.WhenAll(_producers).WaitAsync(timeout);
        Volatile.Write(ref _producerStoppedAt, Stopwatch.GetTimestamp());
    }

    /// <summary>Stops the producer: no new publishes; the ones in flight run to their confirm (or their publish timeout).</summary>
    public async Task StopProducerAsync()
    {
        await _stopProducing.CancelAsync();
        await Task.WhenAll(_producers).WaitAsync(TimeSpan.FromMinutes(3));
        if (Volatile.Read(ref _producerStoppedAt) == 0)
        {
            Volatile.Write(ref _producerStoppedAt, Stopwatch.GetTimestamp());
        }

        Log($"producer stopped: {Published} published, {Confirmed} confirmed, {_books.Failures.Count} exceptions");
    }

    /// <summary>Waits until every confirmed id has been handled, or the deadline: what is missing then is lost.</summary>
    public async Task WaitUntilDrainedAsync(TimeSpan timeout)
    {
        try
        {
            await Eventually.HoldsAsync(() => Task.FromResult(_books.Missing().Length == 0), timeout, "every confirmed message is handled");
        }
        catch (TimeoutException ex)
        {
            Log(ex.Message + $"; {_books.Missing().Length} missing");
        }
    }

    /// <summary>Stops the consumers and closes the books.</summary>
    public async Task<WorkloadResult> FinishAsync()
    {
        foreach (var (_, consumer) in _consumers)
        {
            await consumer.StopAsync();
        }

        foreach (RabbitHaConsumer consumer in _apps.SelectMany(app => app.Services.GetServices<IHostedService>().OfType<RabbitHaHostedService>().Single().Consumers))
        {
            await consumer.StopAsync();
        }

        long stoppedAt = Volatile.Read(ref _producerStoppedAt) is > 0 and var s ? s : Stopwatch.GetTimestamp();
        long[] faults;
        lock (_faults)
        {
            faults = [.. _faults];
        }

        var counts = _books.HandledCounts();
        var result = new WorkloadResult(
            Published,
            _books.ConfirmedCount,
            counts.Count,
            counts.Values.Sum(n => n - 1),
            _books.Missing(),
            [.. _books.Failures],
            Interruption.Measure(faults, stoppedAt, _books.ConfirmTimes()),
            [.. Enumerable.Range(0, _subscribed.Count).Select(i => Interruption.Measure(faults, stoppedAt, _books.HandledTimes(i)))],
            [.. Enumerable.Range(0, _subscribed.Count).Select(i => faults.Length > 0 && _books.HandledTimes(i).Any(t => t > faults[^1]))],
            Stopwatch.GetElapsedTime(_producerStartedAt, stoppedAt));
        Log($"books closed: {result}");
        if (faults.Length > 0)
        {
            Log($"longest pauses after the first fault: confirms {LongestGaps(faults[0], stoppedAt, _books.ConfirmTimes())}; " +
                string.Join("; ", Enumerable.Range(0, _subscribed.Count).Select(i => $"consumer {i + 1} {LongestGaps(faults[0], stoppedAt, _books.HandledTimes(i))}")));
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopProducing.CancelAsync();
        try
        {
            await Task.WhenAll(_producers).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            Log($"producer did not stop: {ex.Message}");
        }

        foreach (var (services, consumer) in _consumers)
        {
            await consumer.DisposeAsync();
            await services.DisposeAsync();
        }

        try
        {
            // Best effort: a queue left behind only costs the next scenario a little memory.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await using IChannel channel = await ProducerMainConnection.CreateChannelAsync(cancellationToken: timeout.Token);
            await channel.QueueDeleteAsync(Queue, cancellationToken: timeout.Token);
        }
        catch (Exception ex)
        {
            Log($"could not delete {Queue}: {ex.GetType().Name}: {ex.Message}");
        }

        foreach (IHost app in _apps)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await app.StopAsync(timeout.Token);
            app.Dispose();
        }

        if (_producerServices is ServiceProvider own)
        {
            await own.DisposeAsync();
        }

        _stopProducing.Dispose();
    }

    /// <summary>The three longest pauses after the fault, as "+start s: length ms", for the log.</summary>
    private static string LongestGaps(long faultAt, long until, IEnumerable<long> timestamps)
    {
        long[] after = [faultAt, .. timestamps.Where(t => t > faultAt && t <= until).Order()];
        return string.Join(", ", after.Zip(after.Skip(1))
            .OrderByDescending(p => p.Second - p.First)
            .Take(3)
            .Select(p => string.Create(CultureInfo.InvariantCulture,
                $"+{Stopwatch.GetElapsedTime(faultAt, p.First).TotalSeconds:F2} s: {Stopwatch.GetElapsedTime(p.First, p.Second).TotalMilliseconds:F0} ms")));
    }

    private bool IsFlowing()
    {
        long recent = Stopwatch.GetTimestamp() - Stopwatch.Frequency;
        return _books.LastConfirmAt > recent
               && Enumerable.Range(0, ConsumerCount).All(i => _books.LastHandledAt(i) > recent && _subscribed[i]());
    }

    private string Describe()
    {
        static string Age(long t) => t == 0 ? "never" : $"{Stopwatch.GetElapsedTime(t).TotalSeconds:F1} s ago";
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"last confirm {Age(_books.LastConfirmAt)} ({ProducerConnection.State}{(ProducerConnection.IsBlocked ? ", blocked" : "")})");
        for (int i = 0; i < _subscribed.Count; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"; consumer {i + 1} last handled {Age(_books.LastHandledAt(i))}, subscribed {_subscribed[i]()}");
        }

        return text.ToString();
    }

    private async Task ProduceAsync(IRabbitHaPublisher publisher, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                long n = Interlocked.Increment(ref _next);
                if (n > _options.MessageCount)
                {
                    return;
                }

                if (_options.Rate > 0)
                {
                    // A steady schedule: message n is due n/rate seconds after the start; after a pause the backlog goes out at once.
                    TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _producerStartedAt + (n * Stopwatch.Frequency / _options.Rate));
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, stop);
                    }
                }

                string id = n.ToString("D8", CultureInfo.InvariantCulture);
                Interlocked.Increment(ref _published);
                try
                {
                    // Not cancellable: a stopped producer lets what is in flight reach its confirm.
                    await publisher.PublishAsync(string.Empty, Queue, Encoding.ASCII.GetBytes(id), new BasicProperties { MessageId = id }, CancellationToken.None);
                    _books.Confirm(n);
                }
                catch (Exception ex)
                {
                    _books.Failures.Enqueue(ex);
                    Log($"publish of {id} threw {ex.GetType().Name}: {ex.Message}");
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped while waiting for the next slot of the schedule.
        }
    }

    /// <summary>One application as README shows it: a generic host, one AddRabbitHa() with the topology, a publisher and a consumer.</summary>
    private IHost BuildApp(string name, int slot)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddProvider(Logs(name));
        builder.Services.AddSingleton(new ConsumerSlot(_books, slot));
        Configure(builder.Services, name)
            .AddPublisher(o => o.MaxInFlight = _options.Window)
            .AddConsumer<DependencyInjectedHandler>(Queue, o => o.DeduplicateByMessageId = false); // duplicates are counted, not hidden
        return builder.Build();
    }

    private ServiceProvider BuildServices(string clientName, Action<IRabbitHaBuilder> configure)
    {
        IRabbitHaBuilder builder = Configure(new ServiceCollection()
            .AddLogging(logging => logging.AddProvider(Logs(clientName))), clientName);
        configure(builder);
        return builder.Services.BuildServiceProvider();
    }

    private IRabbitHaBuilder Configure(IServiceCollection services, string clientName) =>
        services
            .AddRabbitHa(o =>
            {
                o.Uri = (_options.Tls ? TlsUri(_cluster.AmqpsUri) : _cluster.AmqpUri).ToString();
                o.ClientProvidedName = clientName;
                if (_options.Tls)
                {
                    o.Tls.CaCertificatePath = _cluster.CaCertificatePath;
                }

                if (_options.Fallbacks)
                {
                    foreach (IRabbitHaClusterNode node in _cluster.Nodes)
                    {
                        Uri endpoint = _options.Tls ? TlsUri(node.AmqpsUri) : node.AmqpUri;
                        o.FallbackEndpoints.Add($"{endpoint.Host}:{endpoint.Port}");
                    }
                }
            })
            .AddTopology(t => t.Queues.Add(new RabbitHaQueueDefinition { Name = Queue, Type = QueueType }));

    /// <summary>
    /// The library's warnings and errors, each line with the connection's name. Information is left out: four connections
    /// recovering several times a scenario would drown the workload's own timeline.
    /// </summary>
    private XunitLoggerProvider Logs(string client) =>
        new(_output) { MinimumLevel = LogLevel.Warning, Source = client, FullExceptions = false };

    private static Uri TlsUri(Uri? amqps) =>
        amqps ?? throw new InvalidOperationException("The workload asks for TLS, but the chaos cluster was started without it (ContainerClusterBuilder.WithTls).");

    private void Watch(string name, IRabbitHaConnection connection)
    {
        connection.ConnectionLost += (_, e) => Log($"{name}: connection lost ({e.ReplyCode} {e.ReplyText})");
        connection.ConnectionRecovered += (_, e) => Log($"{name}: connection recovered on {e.Endpoint}");
        connection.Blocked += (_, e) => Log($"{name}: blocked ({e.Reason})");
        connection.Unblocked += (_, _) => Log($"{name}: unblocked");
    }

    private void Log(string line)
    {
        try
        {
            _output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} [workload] {line}");
        }
        catch (InvalidOperationException)
        {
            // The test has finished: xUnit takes no more output for it.
        }
    }

    /// <summary>Which consumer of the books an application's handler records as.</summary>
    internal sealed record ConsumerSlot(Books Books, int Consumer);

    /// <summary>The handler as an application registers it (<c>AddConsumer</c>): created from DI for each message.</summary>
    internal sealed class DependencyInjectedHandler(ConsumerSlot slot) : IRabbitHaHandler<ReadOnlyMemory<byte>>
    {
        private readonly RecordingHandler _inner = new(slot.Books, slot.Consumer);

        public Task HandleAsync(ReadOnlyMemory<byte> message, RabbitHaMessageContext context, CancellationToken cancellationToken) =>
            _inner.HandleAsync(message, context, cancellationToken);
    }

    /// <summary>Records what the consumers handled; never throws, never deduplicates.</summary>
    internal sealed class RecordingHandler(Books books, int consumer) : IRabbitHaHandler<ReadOnlyMemory<byte>>
    {
        public Task HandleAsync(ReadOnlyMemory<byte> message, RabbitHaMessageContext context, CancellationToken cancellationToken)
        {
            books.Handle(consumer, long.Parse(context.MessageId!, NumberStyles.None, CultureInfo.InvariantCulture));
            return Task.CompletedTask;
        }
    }

    /// <summary>The books: thread-safe, append-only.</summary>
    internal sealed class Books(int consumers)
    {
        private readonly ConcurrentDictionary<long, long> _confirmed = new();
        private readonly ConcurrentDictionary<long, int> _handled = new();
        private readonly ConcurrentQueue<long>[] _handledTimes = Enumerable.Range(0, consumers).Select(_ => new ConcurrentQueue<long>()).ToArray();
        private readonly long[] _lastHandledAt = new long[consumers];
        private long _lastConfirmAt;

        public ConcurrentQueue<Exception> Failures { get; } = new();

        public int ConfirmedCount => _confirmed.Count;

        public long LastConfirmAt => Volatile.Read(ref _lastConfirmAt);

        public long LastHandledAt(int consumer) => Volatile.Read(ref _lastHandledAt[consumer]);

        public void Confirm(long id)
        {
            long now = Stopwatch.GetTimestamp();
            _confirmed[id] = now;
            Volatile.Write(ref _lastConfirmAt, now);
        }

        public void Handle(int consumer, long id)
        {
            long now = Stopwatch.GetTimestamp();
            _handled.AddOrUpdate(id, 1, static (_, n) => n + 1);
            _handledTimes[consumer].Enqueue(now);
            Volatile.Write(ref _lastHandledAt[consumer], now);
        }

        public IEnumerable<long> ConfirmTimes() => _confirmed.Values;

        public ConcurrentQueue<long> HandledTimes(int consumer) => _handledTimes[consumer];

        public Dictionary<long, int> HandledCounts() => new(_handled);

        public long[] Missing() => _confirmed.Keys.Where(id => !_handled.ContainsKey(id)).Order().ToArray();
    }
}

/// <summary>What a <see cref="Workload"/> did, once its books are closed.</summary>
/// <param name="Publishing">How the confirms were interrupted; <see langword="null"/> if not (no pause reached <see cref="Interruption.Threshold"/>).</param>
/// <param name="Consuming">How each consumer's handlings were interrupted.</param>
/// <param name="ConsumersResumed">Whether each consumer handled a message after the last fault.</param>
internal sealed record WorkloadResult(
    int Published,
    int Confirmed,
    int Handled,
    int Duplicates,
    IReadOnlyList<long> Lost,
    IReadOnlyList<Exception> Exceptions,
    Interruption? Publishing,
    Interruption?[] Consuming,
    bool[] ConsumersResumed,
    TimeSpan Duration)
{
    /// <summary>The slowest consumer's interruption: the longest pause and the latest resume among them.</summary>
    public Interruption? SlowestConsumer =>
        Consuming.Any(c => c is not null)
            ? new Interruption(Consuming.Max(c => c?.Pause ?? TimeSpan.Zero), Consuming.Max(c => c?.Resume ?? TimeSpan.Zero))
            : null;

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"published {Published} in {Duration.TotalSeconds:F1} s, confirmed {Confirmed}, handled {Handled} distinct, {Duplicates} duplicates, " +
            $"lost {Lost.Count}{(Lost.Count > 0 ? $" (first: {string.Join(", ", Lost.Take(10))})" : "")}, exceptions {Exceptions.Count}, " +
            $"publishing {Describe(Publishing)}; consumers {string.Join(" / ", Consuming.Select(Describe))}");

    private static string Describe(Interruption? i) => i?.ToString() ?? "not interrupted";
}
