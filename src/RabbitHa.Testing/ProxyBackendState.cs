namespace RabbitHa.Testing;

/// <summary>One backend server (a RabbitMQ node) as HAProxy's statistics report it.</summary>
/// <param name="ServerName">The server name in haproxy.cfg, the node's host name (e.g. <c>rmq1</c>).</param>
/// <param name="Status">HAProxy's status text, e.g. <c>UP</c>, <c>DOWN</c>, <c>UP 1/2</c> or <c>MAINT (resolution)</c>.</param>
/// <param name="CurrentSessions">The number of client sessions HAProxy currently forwards to the server.</param>
public sealed record ProxyBackendState(string ServerName, string Status, int CurrentSessions)
{
    /// <summary>Gets a value indicating whether HAProxy sends new connections to the server.</summary>
    /// <remarks>A server going down (<c>UP 1/2</c>) still counts as up, as it does for HAProxy.</remarks>
    public bool IsUp => Status.StartsWith("UP", StringComparison.Ordinal);
}
