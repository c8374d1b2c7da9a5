using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using RabbitMQ.Client;

namespace RabbitHa.Client.Tests.Tracing;

/// <summary>
/// The tracing tests listen to process-wide activity sources: they run alone, after the tests that may run in parallel,
/// so that no other test's publishes are traced (and given headers) meanwhile, and no other test's spans are recorded.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TracingCollection
{
    public const string Name = "Tracing";
}

/// <summary>
/// Records every span stopped on RabbitHa's source and on the tests' own (<see cref="TestSource"/>, which stands for
/// RabbitMQ.Client's per-send spans and for a caller's own), as an OpenTelemetry SDK with every span sampled would.
/// </summary>
internal sealed class SpanRecorder : IDisposable
{
    /// <summary>The tests' own source: a caller's span, or what RabbitMQ.Client does inside one send.</summary>
    public static readonly ActivitySource TestSource = new(TestSourceName);

    // By name: a listener that compared sources with TestSource could be asked about TestSource while it is being created.
    private const string TestSourceName = "RabbitHa.Client.Tests.Tracing";

    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<Activity> _stopped = new();

    public SpanRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = static source => source.Name is RabbitHaDiagnostics.ActivitySourceName or TestSourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Gets the spans stopped so far, in the order they stopped.</summary>
    public IReadOnlyList<Activity> Stopped => _stopped.ToArray();

    /// <summary>Gets RabbitHa's spans stopped so far.</summary>
    public IReadOnlyList<Activity> RabbitHaSpans => Stopped.Where(static a => a.Source.Name == RabbitHaDiagnostics.ActivitySourceName).ToArray();

    /// <summary>
    /// Does what RabbitMQ.Client 7.2's <c>BasicPublishAsync</c> does when its publisher source has listeners: starts a span
    /// of its own under the current one and writes that span's context into the headers it sends, with its own injector
    /// (<see cref="RabbitMQActivitySource.ContextInjector"/>, whose default overwrites).
    /// </summary>
    /// <returns>The <c>traceparent</c> the send carries once the client is done with it.</returns>
    public static string? SendAsRabbitMqClientDoes(BasicProperties properties)
    {
        using Activity? send = TestSource.StartActivity("publish (RabbitMQ.Client)", ActivityKind.Producer);
        if (send is not null)
        {
            // As the client does for properties without headers: a dictionary of its own, on the properties.
            properties.Headers ??= new Dictionary<string, object?>();
            RabbitMQActivitySource.ContextInjector(send, properties.Headers);
        }

        return TraceParent(properties);
    }

    /// <summary>The <c>traceparent</c> header, whether a string (as published) or UTF-8 bytes (as delivered).</summary>
    public static string? TraceParent(IReadOnlyBasicProperties properties) =>
        properties.Headers?.TryGetValue("traceparent", out object? value) == true
            ? value switch
            {
                string text => text,
                byte[] bytes => Encoding.UTF8.GetString(bytes),
                _ => null,
            }
            : null;

    /// <summary>Properties as the broker delivers them: string header values turned into UTF-8 bytes.</summary>
    public static BasicProperties AsDelivered(IReadOnlyBasicProperties sent)
    {
        var delivered = new BasicProperties(sent)
        {
            Headers = sent.Headers?.ToDictionary(
                static pair => pair.Key,
                static pair => pair.Value is string text ? Encoding.UTF8.GetBytes(text) : pair.Value,
                StringComparer.Ordinal),
        };
        return delivered;
    }

    public void Dispose() => _listener.Dispose();
}

/// <summary>Reading a span's tags and events in assertions.</summary>
internal static class SpanAssertions
{
    public static object? Tag(this Activity activity, string name) => activity.GetTagItem(name);

    public static IReadOnlyList<ActivityEvent> EventsNamed(this Activity activity, string name) =>
        activity.Events.Where(e => e.Name == name).ToArray();

    public static object? Tag(this ActivityEvent activityEvent, string name) =>
        activityEvent.Tags.FirstOrDefault(t => t.Key == name).Value;
}
