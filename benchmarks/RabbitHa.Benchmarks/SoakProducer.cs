using System.Diagnostics;
using RabbitHa.Client;
using RabbitMQ.Client;

namespace RabbitHa.Benchmarks;

/// <summary>
/// A steady load: <c>window</c> callers share one schedule, message n being due n/rate seconds after the start, and each
/// awaits its publish before taking the next number. After a pause the backlog goes out as fast as the window allows,
/// as an application's requests would. Publishes are not cancellable: a stopped producer lets what is in flight reach
/// its confirm (or the publisher's own timeout).
/// </summary>
internal sealed class SoakProducer : IDisposable
{
    private static readonly ReadOnlyMemory<byte> Body = new byte[256];
    private readonly IRabbitHaPublisher _publisher;
    private readonly string _queue;
    private readonly SoakBooks _books;
    private readonly int _rate;
    private readonly int _window;
    private readonly CancellationTokenSource _stop = new();
    private Task[] _callers = [];
    private long _startedAt;
    private long _next = -1;
    private long _started;
    private long _returned;
    private long _exceptions;

    public SoakProducer(IRabbitHaPublisher publisher, string queue, SoakBooks books, int rate, int window)
    {
        _publisher = publisher;
        _queue = queue;
        _books = books;
        _rate = rate;
        _window = window;
    }

    /// <summary>Gets the publish calls that have not returned yet.</summary>
    public long InFlight => Interlocked.Read(ref _started) - Interlocked.Read(ref _returned);

    public long Published => Interlocked.Read(ref _started);

    /// <summary>Gets the exceptions the callers saw: with RabbitHa, a failover should cause none.</summary>
    public long Exceptions => Interlocked.Read(ref _exceptions);

    public void Start()
    {
        _startedAt = Stopwatch.GetTimestamp();
        _callers = Enumerable.Range(0, _window).Select(_ => Task.Run(CallAsync)).ToArray();
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_callers);
    }

    public void Dispose() => _stop.Dispose();

    private async Task CallAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var n = Interlocked.Increment(ref _next);
            if (n >= _books.Capacity)
            {
                return;
            }

            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _startedAt + (n * Stopwatch.Frequency / _rate));
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            Interlocked.Increment(ref _started);
            try
            {
                await _publisher.PublishAsync(string.Empty, _queue, Body, new BasicProperties { MessageId = MessageIds.ToText((int)n) }, CancellationToken.None);
                _books.Confirmed((int)n);
            }
#pragma warning disable CA1031 // Counting what the publisher throws at its caller is the measurement.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                if (Interlocked.Increment(ref _exceptions) <= 10)
                {
                    Console.WriteLine($"  publish of {n} threw {ex.GetType().Name}: {ex.Message}");
                }
            }
            finally
            {
                Interlocked.Increment(ref _returned);
            }
        }
    }
}
