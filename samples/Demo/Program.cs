// The main job: a three-node RabbitMQ cluster behind HAProxy (RabbitHa.Testing), one producer and three
// consumers (RabbitHa.Client), each an application of its own with its own connection through HAProxy.
// Half-way through, the node the producer is connected to is killed (SIGKILL), then started again.
// At the end: what was published, confirmed and handled, the duplicates, what was lost (must be 0), how
// long publishing and consuming paused, and HAProxy's view of the nodes. Exit code 0 only if nothing was lost.
//
//   bash eng/demo.sh                       # sets Docker up first, then runs this
//   dotnet run --project samples/Demo -c Release -- [--messages 10000] [--rate 400]
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitHa.Client;
using RabbitHa.Demo;
using RabbitHa.Testing;
using RabbitHa.Testing.Containers;

const string Queue = "demo-orders";
const string ProducerName = "demo-producer";
const int ConsumerCount = 3;
var restartAfter = TimeSpan.FromSeconds(5);
int messages = Option("--messages", 10_000);
int rate = Option("--rate", 400);

using var stop = new CancellationTokenSource();
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
var clock = Stopwatch.StartNew();
var ledger = new Ledger(messages, ConsumerCount);
var hosts = new List<IHost>();

Say($"Starting a three-node RabbitMQ cluster behind HAProxy (RabbitHa.Testing, Docker)...");
await using ContainerCluster cluster = new ContainerClusterBuilder().WithLog(line => Say($"  cluster: {line}")).Build();
RabbitHaQueueType replicatedQueueType = cluster.RabbitMqProfile == RabbitMqProfile.RabbitMq4 ? RabbitHaQueueType.Quorum : RabbitHaQueueType.Classic;
try
{
    await cluster.StartAsync(stop.Token);
    Say($"Cluster up: RabbitMQ {(int)cluster.RabbitMqProfile}.x, queue {Queue} of type {replicatedQueueType}. AMQP through HAProxy: {Redacted(cluster.AmqpUri)}; HAProxy stats: {cluster.Proxy.StatsUri}");

    IHost producer = Application(ProducerName, rabbit => rabbit.AddPublisher());
    hosts.Add(producer);
    for (int i = 0; i < ConsumerCount; i++)
    {
        int slot = i;
        hosts.Add(Application($"demo-consumer-{slot + 1}", rabbit =>
        {
            rabbit.Services.AddSingleton(new ConsumerSlot(slot));
            rabbit.AddConsumer<OrderHandler>(Queue, o => o.PrefetchCount = 50);
        }));
    }

    foreach (IHost host in hosts)
    {
        await host.StartAsync(stop.Token);
    }

    // The producer's publishes go through its publishing connection ("<name>.publisher"): the one whose node is killed.
    var connection = producer.Services.GetRequiredKeyedService<IRabbitHaConnection>(RabbitHaServiceKeys.PublisherConnection);
    connection.ConnectionLost += (_, e) => Say($"Producer: connection lost ({e.ReplyText}); recovering through HAProxy.");
    connection.ConnectionRecovered += (_, e) => Say($"Producer: connection recovered on {e.Endpoint}.");

    IRabbitHaClusterNode victim = await NodeOfAsync(connection.ClientProvidedName);
    var consumerNodes = new IRabbitHaClusterNode[ConsumerCount];
    for (int i = 0; i < ConsumerCount; i++)
    {
        consumerNodes[i] = await NodeOfAsync($"demo-consumer-{i + 1}");
    }

    Say($"Producer on {victim.HostName}; consumers on {string.Join(", ", consumerNodes.Select((n, i) => $"consumer-{i + 1} {n.HostName}"))}.");
    Say($"Publishing {messages} orders at {rate}/s; {victim.HostName}, the producer's node, is killed after {messages / 2}.");

    using var progress = new CancellationTokenSource();
    Task reporter = ReportProgressAsync(progress.Token);
    var publisher = producer.Services.GetRequiredService<IRabbitHaPublisher>();
    var halfway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    Task<long> chaos = KillAndRestartAsync(victim, halfway.Task);
    await PublishAllAsync(publisher, halfway);
    long killedAt = await chaos;

    Say("Publishing done; waiting until every confirmed order is handled and HAProxy sees three nodes UP...");
    var drain = Stopwatch.StartNew();
    while (!ledger.AllConfirmedHandled && drain.Elapsed < TimeSpan.FromSeconds(60))
    {
        await Task.Delay(200, stop.Token);
    }

    await cluster.WaitUntilHealthyAsync(TimeSpan.FromSeconds(90), stop.Token);
    await Task.Delay(500, stop.Token); // late duplicates still in flight
    await progress.CancelAsync();
    await reporter;

    IReadOnlyList<ProxyBackendState> backends = await cluster.Proxy.GetBackendsAsync(stop.Token);
    int lost = ledger.Lost;
    PrintSummary(victim, consumerNodes, killedAt, backends, lost);
    return lost == 0 ? 0 : 1;
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Say("Interrupted: stopping the applications and removing the cluster.");
    return 130;
}
finally
{
    foreach (IHost host in hosts)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await host.StopAsync(timeout.Token);
        host.Dispose();
    }

    Say("Removing the cluster...");
}

// One application: a generic host with AddRabbitHa(), its own connection named so that the cluster can find its node.
IHost Application(string name, Action<IRabbitHaBuilder> configure)
{
    HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
    builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Error);
    builder.Services.AddSingleton(ledger);
    IRabbitHaBuilder rabbit = builder.Services
        .AddRabbitHa(o =>
        {
            o.Uri = cluster.AmqpUri.ToString();
            o.ClientProvidedName = name;
        })
        // The queue type the cluster replicates: a classic queue is mirrored on every node by RabbitMQ 3's ha-all policy,
        // while RabbitMQ 4 replicates quorum queues only (a classic queue there would be lost with its node).
        .AddTopology(t => t.Queues.Add(new RabbitHaQueueDefinition { Name = Queue, Type = replicatedQueueType }));
    configure(rabbit);
    return builder.Build();
}

// Publishes at a steady rate from many concurrent callers, as a busy service would; each awaits its confirm.
async Task PublishAllAsync(IRabbitHaPublisher publisher, TaskCompletionSource halfway)
{
    int next = -1;
    var start = Stopwatch.GetTimestamp();
    await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
    {
        int number;
        while ((number = Interlocked.Increment(ref next)) < messages)
        {
            TimeSpan due = TimeSpan.FromSeconds((double)number / rate) - Stopwatch.GetElapsedTime(start);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, stop.Token);
            }

            if (number == messages / 2)
            {
                halfway.TrySetResult();
            }

            ledger.PublishStarted();
            try
            {
                await publisher.PublishAsync(string.Empty, Queue, new OrderPlaced(number, DateTimeOffset.UtcNow), cancellationToken: stop.Token);
                ledger.PublishConfirmed(number);
            }
            catch (RabbitHaPublishException ex)
            {
                ledger.PublishFailed();
                Say($"Order {number} not confirmed: {ex.Message}");
            }
        }
    })));
}

// Half-way (signalled by the publisher), kill the producer's node; restartAfter (5 s) later, start it again.
// Returns when the node was killed (a Stopwatch timestamp).
async Task<long> KillAndRestartAsync(IRabbitHaClusterNode node, Task halfway)
{
    await halfway.WaitAsync(stop.Token);
    Say($">>> Killing {node.HostName} (SIGKILL), the producer's node, after {ledger.Published} published.");
    long at = Stopwatch.GetTimestamp();
    await node.KillAsync(stop.Token);
    await Task.Delay(restartAfter, stop.Token);
    Say($">>> Starting {node.HostName} again; it rejoins the cluster by itself.");
    await node.StartAsync(stop.Token);
    Say($">>> {node.HostName} is running again.");
    return at;
}

// The node (1-3) HAProxy connected an application to, as the cluster's management API lists it.
async Task<IRabbitHaClusterNode> NodeOfAsync(string connectionName)
{
    for (var waited = Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromSeconds(30); await Task.Delay(250, stop.Token))
    {
        if (await cluster.FindConnectionNodeAsync(connectionName, cancellationToken: stop.Token) is { } node)
        {
            return node;
        }
    }

    throw new TimeoutException($"The connection '{connectionName}' was not listed by the cluster within 30 s.");
}

// One line a second: the counters, and HAProxy's view of the nodes.
async Task ReportProgressAsync(CancellationToken cancellationToken)
{
    using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
    try
    {
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            string proxy;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromMilliseconds(800));
                proxy = string.Join("  ", (await cluster.Proxy.GetBackendsAsync(timeout.Token)).Select(b => $"{b.ServerName} {b.Status}"));
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                proxy = "(no answer)";
            }

            Say($"published {ledger.Published,6}  confirmed {ledger.Confirmed,6}  handled {ledger.HandledCount,6}   HAProxy: {proxy}");
        }
    }
    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
    {
    }
}

void PrintSummary(IRabbitHaClusterNode victim, IRabbitHaClusterNode[] consumerNodes, long killedAt, IReadOnlyList<ProxyBackendState> backends, int lost)
{
    // The failover: the longest silence that began between the kill and the restart (5 s later).
    TimeSpan window = restartAfter;
    var publishPause = ledger.ConfirmPauseAfter(killedAt, window);
    var handlePause = ledger.HandlePauseAfter(killedAt, window);
    Console.WriteLine();
    Console.WriteLine($"Summary: {victim.HostName}, the producer's node, killed with SIGKILL half-way and started again");
    Console.WriteLine($"  published    {ledger.Published,7}");
    Console.WriteLine($"  confirmed    {ledger.Confirmed,7}   (not confirmed, reported to the caller: {ledger.Failed})");
    Console.WriteLine($"  handled      {ledger.HandledCount,7}   ({ledger.Distinct} distinct orders; {string.Join(", ", Enumerable.Range(0, ConsumerCount).Select(i => $"consumer-{i + 1} {ledger.HandledBy(i)}"))})");
    Console.WriteLine($"  duplicates   {ledger.Duplicates,7}   (orders handled twice: the price of at-least-once; {ledger.MarkedResent} deliveries carried x-rabbitha-resent,");
    Console.WriteLine("                          the publisher's mark on a re-send that may have a twin; DeduplicateByMessageId drops them by message id)");
    Console.WriteLine($"  lost         {lost,7}   (confirmed but never handled)");
    Console.WriteLine($"  publishing   {Describe(publishPause)}");
    Console.WriteLine($"  consuming    {Describe(handlePause)}");
    for (int i = 0; i < consumerNodes.Length; i++)
    {
        if (consumerNodes[i] == victim)
        {
            Console.WriteLine($"    consumer-{i + 1} (was on {victim.HostName}): {Describe(ledger.HandlePauseAfter(killedAt, window, i))}");
        }
    }

    Console.WriteLine($"  HAProxy      {string.Join(", ", backends.Select(b => $"{b.ServerName} {b.Status} ({b.CurrentSessions} sessions)"))}");
    Console.WriteLine(lost == 0
        ? "  Result: OK, every confirmed order was handled."
        : $"  Result: FAILED, {lost} confirmed orders were never handled.");
    Console.WriteLine();

    static string Describe((TimeSpan Pause, TimeSpan ResumedAfter)? pause) => pause is { } p
        ? $"resumed {p.ResumedAfter.TotalSeconds:F2} s after the kill (paused {p.Pause.TotalSeconds:F2} s)"
        : "no activity after the kill";
}

void Say(string line) => Console.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F1} s] {line}");

static string Redacted(Uri uri) => new UriBuilder(uri) { UserName = "", Password = "" }.Uri.ToString();

int Option(string name, int fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0
        ? value
        : fallback;
}

void Interrupt(PosixSignalContext context)
{
    context.Cancel = true; // let the finally blocks stop the applications and remove the cluster
    stop.Cancel();
}
