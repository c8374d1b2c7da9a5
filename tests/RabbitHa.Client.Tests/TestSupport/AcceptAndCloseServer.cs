namespace RabbitHa.Client.Tests.TestSupport;

/// <summary>
/// Accepts TCP connections and closes them at once, as HAProxy does when no backend node is up: the
/// client connects, sends the AMQP header and never gets <c>connection.start</c>.
/// </summary>
internal sealed class AcceptAndCloseServer : IDisposable
{
    private readonly LoopbackListener _listener;
    private int _accepted;

    public AcceptAndCloseServer()
    {
        _listener = new LoopbackListener(client =>
        {
            using (client)
            {
                Interlocked.Increment(ref _accepted);
                client.Client.Close(0);
            }
        });
    }

    public int Port => _listener.Port;

    public int Accepted => Volatile.Read(ref _accepted);

    public void Dispose() => _listener.Dispose();
}
