using System.Net;
using System.Net.Sockets;

namespace RabbitHa.Testing.Containers;

/// <summary>
/// Picks host ports once, before the containers exist, so that every endpoint keeps its port when a
/// container is stopped and started again (Docker assigns a new random port on every start otherwise,
/// and a client recovering its connection would look for the proxy on the old one).
/// </summary>
internal static class FreePort
{
    public static int[] Take(int count)
    {
        // All listeners stay open until every port is chosen, so the same port is not handed out twice.
        var listeners = new List<TcpListener>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }
}
