namespace RabbitHa.Client.Internal.Consuming;

/// <summary>Why a message was given up on; its wire form is the <see cref="RabbitHaHeaders.DeadLetterReason"/> header.</summary>
internal enum DeadLetterReason
{
    /// <summary>The handler threw (on the last attempt, or at once with <see cref="RabbitHaFailureAction.DeadLetter"/>).</summary>
    HandlerFailed = 0,

    /// <summary>The body is not a valid message of the handler's type.</summary>
    DeserializationFailed = 1,

    /// <summary>The handler could not be created from dependency injection.</summary>
    HandlerUnavailable = 2,

    /// <summary>The handler ran longer than <see cref="RabbitHaConsumerOptions.HandlerTimeout"/> (on the last attempt).</summary>
    HandlerTimedOut = 3,
}

/// <summary>The header values of <see cref="DeadLetterReason"/>, documented on <see cref="RabbitHaHeaders.DeadLetterReason"/>.</summary>
internal static class DeadLetterReasonExtensions
{
    public static string ToHeaderValue(this DeadLetterReason reason) => reason switch
    {
        DeadLetterReason.DeserializationFailed => "deserialization-failed",
        DeadLetterReason.HandlerUnavailable => "handler-unavailable",
        DeadLetterReason.HandlerTimedOut => "handler-timed-out",
        _ => "handler-failed",
    };
}
