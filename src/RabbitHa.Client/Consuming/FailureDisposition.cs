namespace RabbitHa.Client;

/// <summary>What becomes of a message whose handling failed.</summary>
internal enum FailureDisposition
{
    /// <summary>Negative acknowledgement with requeue: the broker delivers it again.</summary>
    Requeue = 0,

    /// <summary>Negative acknowledgement without requeue: the broker dead-letters (or drops) it.</summary>
    DeadLetter = 1,
}
