using System.Net;
using System.Net.Sockets;

namespace RabbitHa.Client.Tests.TestSupport;

/// <summary>A loopback port nothing listens on: connecting to it is a real, immediate, transient failure.</summary>
internal static class ClosedPort
{
    public static int Get()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
