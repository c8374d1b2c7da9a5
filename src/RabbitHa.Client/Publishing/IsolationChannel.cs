using RabbitMQ.Client;

namespace RabbitHa.Client.Internal.Publishing;

/// <summary>
/// A channel for one message at a time. A message that was on channels the broker closed without saying what it
/// refused is sent here, alone: if the broker closes this channel, that message is the cause, and it fails with the
/// broker's answer; if it is confirmed, it was innocent. The shared channel is never closed by it again meanwhile.
/// </summary>
internal sealed class IsolationChannel : IAsyncDisposable
{
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly PublisherChannel _channel;

    public IsolationChannel(PublisherChannel channel)
    {
        _channel = channel;
    }

    public PublisherChannel Channel => _channel;

    /// <summary>Waits for this message's turn and returns the channel; <see cref="Exit"/> ends the turn.</summary>
    public async ValueTask<IChannel> EnterAsync(CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await _channel.GetAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _turn.Release();
            throw;
        }
    }

    public void Exit() => _turn.Release();

    public ValueTask DisposeAsync() => _channel.DisposeAsync();
}
