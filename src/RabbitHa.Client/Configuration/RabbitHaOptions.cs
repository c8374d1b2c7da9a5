using System.Globalization;
using System.Text;
using RabbitHa.Client.Internal.Diagnostics;
using RabbitHa.Client.Internal.Configuration;

namespace RabbitHa.Client;

/// <summary>
/// Options for the RabbitHa connection: where the cluster is (the HAProxy endpoint first, then the
/// nodes as fallbacks), who connects, and how fast a lost connection is noticed and recovered.
/// </summary>
/// <remarks>
/// Bind them from configuration (section <see cref="SectionName"/>) or set them in code through
/// <c>services.AddRabbitHa(...)</c>. They are validated when the host starts; a bad value stops the host
/// with a message that names the option and the value (never the password).
/// </remarks>
public sealed class RabbitHaOptions
{
    /// <summary>The configuration section the options are usually bound from: <c>"RabbitHa"</c>.</summary>
    public const string SectionName = "RabbitHa";

    /// <summary>
    /// Gets or sets the HAProxy endpoint as an <c>amqp://</c> or <c>amqps://</c> URI, such as
    /// <c>amqps://user:password@rabbit.example.com:5671/orders</c>.
    /// </summary>
    /// <value>The default is <see langword="null"/>: <see cref="Host"/> and <see cref="Port"/> are used.</value>
    /// <remarks>
    /// When set, the URI takes precedence over <see cref="Host"/>, <see cref="Port"/> and <see cref="VirtualHost"/>,
    /// and over <see cref="UserName"/> and <see cref="Password"/> when it carries user information; <c>amqps</c>
    /// turns TLS on and makes the URI's host the default <see cref="RabbitHaTlsOptions.ServerName"/>. A string
    /// rather than a <see cref="System.Uri"/> so that a malformed value is reported by validation, redacted,
    /// instead of by the configuration binder, which would quote it whole.
    /// </remarks>
    public string? Uri { get; set; }

    /// <summary>Gets or sets the connection string that set <see cref="Uri"/>, if one did (<c>AddRabbitHa(configuration, connectionName)</c>).</summary>
    internal ConnectionStringSource? UriSource { get; set; }

    /// <summary>Gets or sets the host name of the HAProxy endpoint.</summary>
    /// <value>The default is <c>"localhost"</c>.</value>
    public string Host { get; set; } = "localhost";

    /// <summary>Gets or sets the port of the HAProxy endpoint.</summary>
    /// <value>The default is <c>5672</c>; use 5671 (or an <c>amqps://</c> <see cref="Uri"/>) with TLS.</value>
    public int Port { get; set; } = 5672;

    /// <summary>
    /// Gets the endpoints tried, in order, when the HAProxy endpoint cannot be reached: usually the nodes
    /// themselves. Each is <c>host</c>, <c>host:port</c>, <c>amqp://host:port</c> or <c>amqps://host:port</c>.
    /// </summary>
    /// <value>The default is empty. A fallback without a port uses 5672 (5671 with TLS).</value>
    /// <remarks>
    /// The HAProxy endpoint is always tried first, on the first connect and on every recovery, so the
    /// connection goes back through the proxy at its next recovery once the proxy is up again. A connection
    /// that fell back to a node does not move back by itself: it stays on that node until it is lost, and
    /// meanwhile only heartbeats, not HAProxy's checks, notice that node failing. Fallbacks share the
    /// credentials, the virtual host and whether TLS is used with the main endpoint; a fallback's scheme, if
    /// it has one, must agree (<c>amqps://</c> exactly when TLS is on). With TLS, a fallback's certificate is
    /// checked against its own host name unless <see cref="RabbitHaTlsOptions.FallbackServerName"/> is set.
    /// </remarks>
    public IList<string> FallbackEndpoints { get; } = new List<string>();

    /// <summary>Gets or sets the virtual host.</summary>
    /// <value>The default is <c>"/"</c>.</value>
    public string VirtualHost { get; set; } = "/";

    /// <summary>Gets or sets the user name.</summary>
    /// <value>The default is <c>"guest"</c>. It must not be empty, neither here nor in the user information of <see cref="Uri"/>.</value>
    public string UserName { get; set; } = "guest";

    /// <summary>Gets or sets the password. It never appears in logs, exception messages or <see cref="ToString"/>.</summary>
    /// <value>The default is <c>"guest"</c>.</value>
    public string Password { get; set; } = "guest";

    /// <summary>Gets or sets the connection name shown in the RabbitMQ management UI.</summary>
    /// <value>The default is <see langword="null"/>: the name of the application domain (usually the process name).</value>
    public string? ClientProvidedName { get; set; }

    /// <summary>
    /// Gets or sets the requested AMQP heartbeat interval, in whole seconds; <see cref="TimeSpan.Zero"/> takes the
    /// broker's value.
    /// </summary>
    /// <value>The default is 30 seconds. Allowed: zero, or 1 to 65535 whole seconds (the protocol's field is an unsigned 16-bit count of seconds).</value>
    /// <remarks>
    /// <para>
    /// Heartbeats are the only thing that notices a node that vanished without closing its sockets (killed
    /// host, network partition): HAProxy keeps the client side of such a session open until its own
    /// <c>timeout client</c>/<c>timeout server</c> (3 hours in the shipped configuration). RabbitMQ.Client
    /// declares the connection dead after two missed heartbeats, so 30 seconds detects a silent failure in
    /// about a minute and then recovers through the proxy to a live node.
    /// </para>
    /// <para>
    /// Client and broker settle on the lower of their two values, or on the other side's when one of them is zero:
    /// zero here means the broker's <c>heartbeat</c> setting (60 seconds unless changed), and heartbeats are off only
    /// when that is zero too. Heartbeat frames are traffic, so any interval shorter than the HAProxy timeouts also
    /// keeps an idle connection from being cut by the proxy. Much shorter intervals than 30 seconds risk false
    /// positives on a busy machine.
    /// </para>
    /// </remarks>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how long one attempt to open the TCP connection (and TLS) may take.</summary>
    /// <value>The default is 10 seconds. Allowed: 1 millisecond to 1 day.</value>
    public TimeSpan ConnectionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how long the AMQP handshake after the TCP connect may take.</summary>
    /// <value>The default is 10 seconds. Allowed: 1 millisecond to 1 day.</value>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how long a protocol operation (declare, bind, close…) waits for the broker's reply.</summary>
    /// <value>The default is 20 seconds. Allowed: 1 millisecond to 1 day.</value>
    public TimeSpan ContinuationTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Gets the TLS options.</summary>
    /// <value>TLS is off by default.</value>
    public RabbitHaTlsOptions Tls { get; } = new();

    /// <summary>Gets the options of RabbitMQ.Client's automatic recovery of a lost connection.</summary>
    public RabbitHaRecoveryOptions Recovery { get; } = new();

    /// <summary>Gets the options of the first connect, retried while the cluster is still coming up.</summary>
    public RabbitHaStartupOptions Startup { get; } = new();

    /// <summary>Gets the exchanges, queues and bindings declared on connect and re-declared after recovery.</summary>
    public RabbitHaTopologyOptions Topology { get; } = new();

    /// <summary>Describes the options with the password and any URI user information redacted.</summary>
    /// <returns>A description safe to log.</returns>
    public override string ToString()
    {
        var text = new StringBuilder("RabbitHaOptions { ");
        if (Uri is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"Uri = {Redaction.RedactConnectionString(Uri)}, ");
        }

        text.Append(CultureInfo.InvariantCulture, $"Host = {Host}, Port = {Port}, ");
        text.Append(CultureInfo.InvariantCulture, $"FallbackEndpoints = [{string.Join(", ", FallbackEndpoints.Select(Redaction.RedactUri))}], ");
        text.Append(CultureInfo.InvariantCulture, $"VirtualHost = {VirtualHost}, UserName = {UserName}, Password = {Redaction.Mask}, ");
        text.Append(CultureInfo.InvariantCulture, $"ClientProvidedName = {ClientProvidedName}, Heartbeat = {Heartbeat}, ");
        text.Append(CultureInfo.InvariantCulture, $"ConnectionTimeout = {ConnectionTimeout}, HandshakeTimeout = {HandshakeTimeout}, ContinuationTimeout = {ContinuationTimeout}, ");
        text.Append(CultureInfo.InvariantCulture, $"Tls = {Tls}, Recovery = {Recovery}, Startup = {Startup}, Topology = {Topology} }}");
        return text.ToString();
    }
}
