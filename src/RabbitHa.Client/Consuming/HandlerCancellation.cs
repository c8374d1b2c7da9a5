using Microsoft.Extensions.Logging;
using RabbitHa.Client.Internal.Diagnostics;

namespace RabbitHa.Client.Internal.Consuming;

/// <summary>
/// Cancels a source whose token a handler holds. The handler may have registered a callback on it that throws; that is
/// the handler's fault, so it is logged, and must not break the consumer's own flow (closing a subscription,
/// resubscribing, settling a timed-out message).
/// </summary>
/// <remarks>
/// RabbitHa never lets a timer cancel such a source (<c>CancelAfter</c>, or a timeout given to the source's
/// constructor): a callback that throws there does so on a timer thread, which ends the process.
/// </remarks>
internal static class HandlerCancellation
{
    public static async Task CancelAsync(CancellationTokenSource source, ILogger logger, string consumerName)
    {
        try
        {
            await source.CancelAsync().ConfigureAwait(false);
        }
        catch (AggregateException ex)
        {
            // Every callback ran, and the token is cancelled all the same; only the callbacks' exceptions are left to report.
            logger.CancellationCallbackFailed(consumerName, ex);
        }
    }
}
