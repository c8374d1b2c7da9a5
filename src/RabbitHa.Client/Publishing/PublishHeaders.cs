using System.Diagnostics;
using RabbitMQ.Client;

namespace RabbitHa.Client.Internal.Publishing;

/// <summary>
/// The headers of a message on its way to the broker, which keep its trace context once it is there: a second write
/// of <c>traceparent</c>, <c>tracestate</c>, baggage (the fields of <see cref="DistributedContextPropagator.Current"/>), or
/// of a key RabbitHa's own injection wrote, is ignored.
/// </summary>
/// <remarks>
/// <para>
/// Why: RabbitMQ.Client 7.2, when its <c>RabbitMQ.Client.Publisher</c> source has listeners, starts a span of its own
/// in every <c>BasicPublishAsync</c> and writes that span's context into the headers of the properties it is given
/// (<see cref="RabbitMQActivitySource.ContextInjector"/>, whose default setter overwrites). A message the publisher
/// sends again would then carry another context at each send, and its consumer would land under whichever send
/// arrived, not under the publish. RabbitMQ.Client has no switch per channel; the one it has, that static injector, is
/// process-wide: replacing it would change every other publisher in the application (and whoever replaced it after
/// RabbitHa would undo it). So the headers themselves keep the first context: the one RabbitHa injected from its publish
/// span, or the one the message came with (a consumer's retry or dead-letter copy, a caller's own), or, when nobody
/// listens to RabbitHa's source, the one RabbitMQ.Client injected at the first send (into the dictionary it adds to
/// properties without headers; the first re-send copies that into one of these). RabbitMQ.Client's per-send spans
/// are still recorded, as children of the publish span (the publisher makes it current around each send).
/// </para>
/// <para>
/// It works because RabbitMQ.Client's setter writes through <see cref="IDictionary{TKey, TValue}"/>, which this type
/// implements again; RabbitMQ.Client's own writes (the publish sequence number) go through unchanged, and the wire
/// format reads a <see cref="Dictionary{TKey, TValue}"/> like any other.
/// </para>
/// </remarks>
internal sealed class PublishHeaders : Dictionary<string, object?>, IDictionary<string, object?>
{
    private HashSet<string>? _injected;
    private bool _injecting;

    public PublishHeaders()
        : base(StringComparer.Ordinal)
    {
    }

    /// <summary>A copy of <paramref name="headers"/>; a copy of another <see cref="PublishHeaders"/> keeps what it keeps.</summary>
    public PublishHeaders(IDictionary<string, object?> headers)
        : base(headers, StringComparer.Ordinal)
    {
        if (headers is PublishHeaders { _injected: { } injected })
        {
            _injected = new HashSet<string>(injected, StringComparer.Ordinal);
        }
    }

    object? IDictionary<string, object?>.this[string key]
    {
        get => this[key];
        set
        {
            if (!_injecting && ContainsKey(key) && IsTraceContext(key))
            {
                return;
            }

            this[key] = value;
            if (_injecting)
            {
                (_injected ??= new HashSet<string>(StringComparer.Ordinal)).Add(key);
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="activity"/>'s context with RabbitMQ.Client's <see cref="RabbitMQActivitySource.ContextInjector"/>
    /// (the application's own, if it replaced it, so that consumers on other clients read what they expect), once: the keys
    /// it writes are kept from then on.
    /// </summary>
    public void Inject(Activity activity)
    {
        _injecting = true;
        try
        {
            RabbitMQActivitySource.ContextInjector(activity, this);
        }
        finally
        {
            _injecting = false;
        }
    }

    private bool IsTraceContext(string key)
    {
        if (_injected?.Contains(key) == true || key is "traceparent" or "tracestate")
        {
            return true;
        }

        foreach (string field in DistributedContextPropagator.Current.Fields)
        {
            if (string.Equals(field, key, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
