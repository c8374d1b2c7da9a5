using System.Collections.Concurrent;
using System.Globalization;

namespace RabbitHa.Client.Internal.Publishing;

/// <summary>
/// What the broker refused lately: exchanges it answered 403/404 for, and the largest body it accepts. A message it
/// would refuse the same way fails at once, unsent: each such send closes the shared channel and sends every other
/// publish in flight again, so a caller publishing to a missing exchange in a loop would otherwise cost everyone.
/// </summary>
/// <remarks>
/// An answer counts for <see cref="Memory"/> only, like a negative DNS cache: an exchange declared meanwhile is
/// published to again a few seconds later. At most <see cref="MaxExchanges"/> exchanges are remembered; beyond that
/// the oldest answers are forgotten first.
/// </remarks>
internal sealed class KnownRejections
{
    /// <summary>How long an answer counts; short, because a missing exchange may be declared at any time.</summary>
    public static readonly TimeSpan Memory = TimeSpan.FromSeconds(5);

    public const int MaxExchanges = 1000;

    /// <summary>RabbitMQ's own ceiling (512 MiB): no <c>max_message_size</c> setting accepts a larger body.</summary>
    public const long BrokerMaxMessageSize = 512L * 1024 * 1024;

    private readonly TimeProvider _time;
    private readonly object _forgetting = new();
    private readonly ConcurrentDictionary<string, Answer> _exchanges = new(StringComparer.Ordinal);
    private volatile SizeAnswer? _maxSize;

    public KnownRejections(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
    }

    public void Learn(ChannelRejection rejection)
    {
        ArgumentNullException.ThrowIfNull(rejection);
        var now = _time.GetTimestamp();
        if (rejection.MaxMessageSize is { } max)
        {
            _maxSize = new SizeAnswer(rejection, max, now);
        }
        else if (rejection.RefusesExchange)
        {
            if (_exchanges.Count >= MaxExchanges)
            {
                Forget(now);
            }

            _exchanges[rejection.Exchange!] = new Answer(rejection, now);
        }
    }

    /// <summary>Why the broker would refuse a message to <paramref name="exchange"/> with such a body, if it said so lately; otherwise <see langword="null"/>.</summary>
    public string? Explain(string exchange, long bodySize)
    {
        if (bodySize > BrokerMaxMessageSize)
        {
            return string.Create(CultureInfo.InvariantCulture, $"its body ({bodySize} bytes) is larger than RabbitMQ accepts ({BrokerMaxMessageSize} bytes); not sent");
        }

        if (_maxSize is { } limit && bodySize > limit.Max && Fresh(limit.At, out var sizeAge))
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"its body ({bodySize} bytes) is larger than the broker's max message size ({limit.Max} bytes: it answered {limit.Rejection.Describe()} {sizeAge.TotalSeconds:0.0} s ago); not sent");
        }

        if (!_exchanges.IsEmpty && _exchanges.TryGetValue(exchange, out var refused))
        {
            if (Fresh(refused.At, out var age))
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"the broker answered {refused.Rejection.Describe()} to a publish to this exchange {age.TotalSeconds:0.0} s ago; not sent again within {Memory.TotalSeconds:0} s of such an answer");
            }

            _exchanges.TryRemove(new KeyValuePair<string, Answer>(exchange, refused));
        }

        return null;
    }

    private bool Fresh(long at, out TimeSpan age)
    {
        age = _time.GetElapsedTime(at);
        return age < Memory;
    }

    private void Forget(long now)
    {
        lock (_forgetting)
        {
            foreach (var (name, answer) in _exchanges)
            {
                if (_time.GetElapsedTime(answer.At, now) >= Memory)
                {
                    _exchanges.TryRemove(new KeyValuePair<string, Answer>(name, answer));
                }
            }

            // Still full of fresh answers: the oldest go.
            var excess = _exchanges.Count - MaxExchanges + 1;
            if (excess > 0)
            {
                foreach (var (name, answer) in _exchanges.OrderBy(e => e.Value.At).Take(excess).ToList())
                {
                    _exchanges.TryRemove(new KeyValuePair<string, Answer>(name, answer));
                }
            }
        }
    }

    private sealed record Answer(ChannelRejection Rejection, long At);

    private sealed record SizeAnswer(ChannelRejection Rejection, long Max, long At);
}
