namespace RabbitHa.Client.Internal.Publishing;

/// <summary>What a channel the broker closed for a publish says about one message that was on it.</summary>
internal enum RejectionVerdict
{
    /// <summary>The broker's answer names something this message has (its exchange, its body size, its expiration...): it is refused itself.</summary>
    Culprit,

    /// <summary>The broker's answer names something this message does not have: another message closed the channel under it.</summary>
    Innocent,

    /// <summary>The answer names nothing RabbitHa can match: any message on the channel may have caused it.</summary>
    Unexplained,
}
