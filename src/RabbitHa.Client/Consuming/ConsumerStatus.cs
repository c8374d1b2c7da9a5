namespace RabbitHa.Client.Internal.Consuming;

/// <summary>Where one consumer stands, as the health check reads it.</summary>
/// <param name="Name">The consumer's name.</param>
/// <param name="Queue">Its queue.</param>
/// <param name="Running">Whether it has started and is not stopping.</param>
/// <param name="Subscribed">Whether a subscription is open right now.</param>
/// <param name="NotSubscribedFor">How long it has been without a subscription (since its start, or since its last one ended); zero while subscribed.</param>
/// <param name="LastError">Why its last subscription ended or could not be opened, in the broker's words; <see langword="null"/> before anything went wrong.</param>
/// <param name="UnhealthyAfter">Its <see cref="RabbitHaConsumerOptions.UnhealthyAfter"/>.</param>
/// <param name="Concurrency">How many handlers it runs at most.</param>
/// <param name="HungHandlers">Its handlers that ignored their cancellation and still hold a slot, longest first.</param>
internal sealed record ConsumerStatus(
    string Name,
    string Queue,
    bool Running,
    bool Subscribed,
    TimeSpan NotSubscribedFor,
    string? LastError,
    TimeSpan UnhealthyAfter,
    int Concurrency,
    IReadOnlyList<ConsumerStatus.HungHandler> HungHandlers)
{
    /// <summary>A handler abandoned after its cancellation, still running.</summary>
    /// <param name="MessageId">The message it was given, if it had an id.</param>
    /// <param name="Running">How long it has run.</param>
    internal readonly record struct HungHandler(string? MessageId, TimeSpan Running);
}
