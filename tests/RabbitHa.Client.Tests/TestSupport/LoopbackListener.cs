using System.Net;
using System.Net.Sockets;

namespace RabbitHa.Client.Tests.TestSupport;

/// <summary>
/// Listens on a free loopback port and hands every accepted client to a callback, until disposed: the accept loop shared
/// by the stand-in servers (<see cref="AcceptAndCloseServer"/>, <see cref="TlsServer"/>), which differ only in what they
/// do with a client.
/// </summary>
internal sealed class LoopbackListener : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Action<TcpClient> _accepted;
    private readonly Task _loop;

    /// <param name="accepted">
    /// Called on the accept loop with each client, which it owns; a <see cref="SocketException"/> or
    /// <see cref="ObjectDisposedException"/> it throws ends the loop.
    /// </param>
    public LoopbackListener(Action<TcpClient> accepted)
    {
        _accepted = accepted;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    /// <summary>Gets the token cancelled when the listener is disposed.</summary>
    public CancellationToken Stopping => _stop.Token;

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _loop.Wait(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _accepted(client);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
        }
    }
}
