using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace RabbitHa.Client.IntegrationTests.Consuming;

/// <summary>
/// The test's producer: plain RabbitMQ.Client with publisher confirms, through HAProxy. A message counts as
/// confirmed only when the broker confirmed it; a failed publish is retried, with the same message id and the
/// re-sent header, on a new connection, as RabbitHa's publisher does.
/// </summary>
internal sealed class TestProducer(Uri uri, string queue, ITestOutputHelper output) : IAsyncDisposable
{
    private static readonly TimeSpan s_confirmTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, byte> _confirmed = new(StringComparer.Ordinal);
    private IConnection? _connection;
    private IChannel? _channel;
    private int _retries;

    public ICollection<string> Confirmed => _confirmed.Keys;

    public int Retries => Volatile.Read(ref _retries);

    public static string Id(int n) => "m-" + n.ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>Publishes messages 1 to <paramref name="count"/> without a pause on a producer of its own, each until confirmed.</summary>
    public static async Task RunOnceAsync(Uri uri, string queue, ITestOutputHelper output, int count)
    {
        await using var producer = new TestProducer(uri, queue, output);
        await producer.RunAsync(count, TimeSpan.Zero, CancellationToken.None);
    }

    /// <summary>Publishes until confirmed (retrying) or cancelled.</summary>
    public async Task PublishAsync(string messageId, bool resent = false, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                IChannel channel = await ChannelAsync();
                var properties = new BasicProperties
                {
                    MessageId = messageId,
                    DeliveryMode = DeliveryModes.Persistent,
                    Headers = resent ? new Dictionary<string, object?> { [RabbitHaHeaders.Resent] = true } : null,
                };
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(s_confirmTimeout);
                await channel.BasicPublishAsync(string.Empty, queue, mandatory: true, properties, Encoding.UTF8.GetBytes(messageId), timeout.Token);
                _confirmed[messageId] = 0;
                return;
            }
            catch (Exception ex) when (TestAmqp.IsTransient(ex) || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                Interlocked.Increment(ref _retries);
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} producer: publish of {messageId} failed ({ex.GetType().Name}: {ex.Message}); retrying");
                resent = true;
                await ResetAsync();
                await Task.Delay(200, cancellationToken);
            }
        }
    }

    /// <summary>Publishes m-000001, m-000002, ... until <paramref name="count"/> or cancelled, pausing between messages.</summary>
    public async Task<int> RunAsync(int count, TimeSpan pause, CancellationToken cancellationToken)
    {
        int sent = 0;
        try
        {
            for (int n = 1; n <= count; n++)
            {
                await PublishAsync(Id(n), cancellationToken: cancellationToken);
                sent = n;
                if (pause > TimeSpan.Zero)
                {
                    await Task.Delay(pause, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped by the test: what was confirmed is in Confirmed.
        }

        return sent;
    }

    public async ValueTask DisposeAsync() => await ResetAsync();

    private async Task<IChannel> ChannelAsync()
    {
        if (_channel is { IsOpen: true })
        {
            return _channel;
        }

        await ResetAsync();
        _connection = await TestAmqp.ConnectAsync(uri, "test-producer");
        _channel = await _connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        return _channel;
    }

    private async Task ResetAsync()
    {
        IChannel? channel = _channel;
        IConnection? connection = _connection;
        _channel = null;
        _connection = null;
        if (channel is not null)
        {
            await channel.AbortAsync();
            await channel.DisposeAsync();
        }

        if (connection is not null)
        {
            await connection.AbortAsync();
            await connection.DisposeAsync();
        }
    }
}
