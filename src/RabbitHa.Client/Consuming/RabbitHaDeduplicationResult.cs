namespace RabbitHa.Client;

/// <summary>The answer of <see cref="IRabbitHaDeduplicationStore.TryClaimAsync"/>.</summary>
public enum RabbitHaDeduplicationResult
{
    /// <summary>The message has not been handled: the caller now holds it and must mark it handled or release it.</summary>
    Claimed = 0,

    /// <summary>The message has already been handled: the copy is dropped (acknowledged without calling the handler).</summary>
    AlreadyHandled = 1,

    /// <summary>
    /// Another copy of the message is being handled right now. The consumer waits a little and asks again;
    /// if it is still in progress, it returns its copy to the queue, because the other attempt may yet fail.
    /// </summary>
    InProgress = 2,
}
