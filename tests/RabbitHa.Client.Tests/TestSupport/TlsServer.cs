using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace RabbitHa.Client.Tests.TestSupport;

/// <summary>
/// A TLS server on a loopback port that presents a given certificate, completes the handshake if the client accepts it, and
/// then closes the connection, as a node that never speaks AMQP would. Enough to see RabbitMQ.Client's TLS handshake succeed
/// or be refused: the certificate check happens before any AMQP byte.
/// </summary>
internal sealed class TlsServer : IDisposable
{
    private readonly SslStreamCertificateContext _certificate;
    private readonly LoopbackListener _listener;
    private int _handshakes;
    private int _failedHandshakes;

    /// <param name="certificate">The server certificate, with its private key.</param>
    /// <param name="issuers">Certificates sent along with it (intermediates, or the CA itself).</param>
    public TlsServer(X509Certificate2 certificate, X509Certificate2Collection? issuers = null)
    {
        _certificate = SslStreamCertificateContext.Create(certificate, issuers, offline: true);
        _listener = new LoopbackListener(client => _ = Task.Run(() => HandshakeAsync(client)));
    }

    public int Port => _listener.Port;

    /// <summary>Gets how many clients accepted the certificate.</summary>
    public int Handshakes => Volatile.Read(ref _handshakes);

    /// <summary>Gets how many handshakes failed (the client refused the certificate).</summary>
    public int FailedHandshakes => Volatile.Read(ref _failedHandshakes);

    public void Dispose() => _listener.Dispose();

    private async Task HandshakeAsync(TcpClient client)
    {
        using (client)
        {
            using var tls = new SslStream(client.GetStream(), leaveInnerStreamOpen: false);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_listener.Stopping);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = _certificate }, timeout.Token);
                Interlocked.Increment(ref _handshakes);
            }
            catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException or ObjectDisposedException)
            {
                Interlocked.Increment(ref _failedHandshakes);
            }
        }
    }
}
