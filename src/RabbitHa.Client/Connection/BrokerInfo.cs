using System.Text;

namespace RabbitHa.Client.Internal.Connection;

/// <summary>
/// What the broker said it is when the connection opened (the <c>product</c> and <c>version</c> server properties of
/// <c>connection.start</c>). Read again after each recovery: behind HAProxy a recovery may land on another node, and
/// during a rolling upgrade that node may run another version.
/// </summary>
/// <param name="Product">The <c>product</c> server property as sent, or <see langword="null"/> when there was none.</param>
/// <param name="VersionText">The <c>version</c> server property as sent, or <see langword="null"/> when there was none.</param>
internal sealed record BrokerInfo(string? Product, string? VersionText)
{
    public const string ProductProperty = "product";
    public const string VersionProperty = "version";

    /// <summary>Nothing known yet: before the first connect.</summary>
    public static readonly BrokerInfo Unknown = new(null, null);

    /// <summary>
    /// Gets RabbitMQ's version, or <see langword="null"/> when the broker is not RabbitMQ or its version cannot be read.
    /// Another product's version says nothing about RabbitMQ's queue types, so it never turns on RabbitMQ 4 behaviour.
    /// </summary>
    public Version? Version { get; } = string.Equals(Product, "RabbitMQ", StringComparison.OrdinalIgnoreCase) ? ParseVersion(VersionText) : null;

    /// <summary>
    /// Gets a value indicating whether classic queues have no replicas on this broker: RabbitMQ 4.0 removed classic queue
    /// mirroring, so there a classic queue lives on one node, and losing that node loses the queue and its messages.
    /// </summary>
    public bool ClassicQueuesUnreplicated => HasUnreplicatedClassicQueues(Version);

    /// <summary>Whether a broker of <paramref name="rabbitMqVersion"/> keeps classic queues on one node only (RabbitMQ 4 and later).</summary>
    /// <remarks>An unknown version (<see langword="null"/>) is treated as RabbitMQ 3: what RabbitHa did before it read the version.</remarks>
    public static bool HasUnreplicatedClassicQueues(Version? rabbitMqVersion) => rabbitMqVersion is { Major: >= 4 };

    /// <summary>Reads the product and version the broker sent; RabbitMQ.Client 7 hands AMQP long strings over as UTF-8 bytes.</summary>
    /// <param name="serverProperties"><c>IConnection.ServerProperties</c>, or <see langword="null"/>.</param>
    public static BrokerInfo FromServerProperties(IDictionary<string, object?>? serverProperties)
    {
        if (serverProperties is null)
        {
            return Unknown;
        }

        return new BrokerInfo(ReadString(serverProperties, ProductProperty), ReadString(serverProperties, VersionProperty));
    }

    /// <summary>
    /// The numeric part of a RabbitMQ version: <c>4.0.5</c>, <c>3.10.8</c>; a pre-release or build suffix
    /// (<c>4.1.0-rc.1</c>, <c>3.13.7+2.g1234</c>) is dropped. Anything else is <see langword="null"/>.
    /// </summary>
    public static Version? ParseVersion(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        ReadOnlySpan<char> core = text.AsSpan().Trim();
        int suffix = core.IndexOfAny('-', '+');
        if (suffix >= 0)
        {
            core = core[..suffix];
        }

        // Version.TryParse alone would also take signs and spaces inside the components.
        foreach (char c in core)
        {
            if (c is not ('.' or (>= '0' and <= '9')))
            {
                return null;
            }
        }

        return Version.TryParse(core, out Version? version) ? version : null;
    }

    /// <summary>Says what the broker is, for logs: <c>RabbitMQ 4.0.5</c>.</summary>
    public override string ToString() => (Product, VersionText) switch
    {
        (null, null) => "a broker that did not say what it is",
        (null, { } version) => $"a broker of unnamed product, version {version}",
        ({ } product, null) => $"{product} of unknown version",
        ({ } product, { } version) => $"{product} {version}",
    };

    private static string? ReadString(IDictionary<string, object?> properties, string key) =>
        properties.TryGetValue(key, out object? value) ? value switch
        {
            byte[] bytes => Encoding.UTF8.GetString(bytes),
            string text => text,
            _ => null,
        } : null;
}
