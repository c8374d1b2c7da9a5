namespace RabbitHa.Client;

/// <summary>What became of one message of <see cref="IRabbitHaPublisher.PublishBatchAsync"/>.</summary>
public sealed class RabbitHaBatchPublishOutcome
{
    /// <summary>Initializes a new instance of the <see cref="RabbitHaBatchPublishOutcome"/> class.</summary>
    /// <param name="index">The message's position in the batch, from 0.</param>
    /// <param name="message">The message.</param>
    /// <param name="failure">Why it failed, or <see langword="null"/> when the broker confirmed it.</param>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative.</exception>
    public RabbitHaBatchPublishOutcome(int index, RabbitHaOutgoingMessage message, RabbitHaPublishException? failure)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        Index = index;
        Message = message;
        Failure = failure;
    }

    /// <summary>Gets the message's position in the batch, from 0.</summary>
    public int Index { get; }

    /// <summary>Gets the message, as given.</summary>
    public RabbitHaOutgoingMessage Message { get; }

    /// <summary>Gets why the message failed (<see cref="RabbitHaPublishException.Reason"/>), or <see langword="null"/> when it was confirmed.</summary>
    public RabbitHaPublishException? Failure { get; }

    /// <summary>Gets a value indicating whether the broker confirmed the message.</summary>
    public bool IsConfirmed => Failure is null;
}
