using System.Diagnostics;
using RabbitHa.Client.Internal.Diagnostics;

namespace RabbitHa.Client.Internal.Consuming;

/// <summary>
/// The deduplication store's part (<see cref="RabbitHaConsumerOptions.DeduplicateByMessageId"/>). The store is pluggable,
/// so each call runs on its own task within <see cref="RabbitHaConsumerOptions.DeduplicationStoreTimeout"/>: a store that
/// fails or does not answer in time is logged, and only ever costs the message a trip back to its queue (a failed
/// claim) or a possible duplicate later (a failed mark or release), never a lost message or a stuck consumer.
/// </summary>
internal sealed partial class DeliveryProcessor
{
    /// <summary>How long a copy waits for another copy of the same message that is being handled right now.</summary>
    private static readonly TimeSpan s_inProgressPatience = TimeSpan.FromSeconds(5);

    /// <summary>The longest pause between two looks at a copy in progress.</summary>
    private static readonly TimeSpan s_inProgressPollMax = TimeSpan.FromSeconds(1);

    /// <summary>How long a message waits before it is returned to the queue when the deduplication store failed, so that a store outage does not spin.</summary>
    private static readonly TimeSpan s_storeFailurePause = TimeSpan.FromSeconds(1);

    /// <summary>Claims the message, waiting a little while another copy of it is being handled.</summary>
    /// <returns>The store's answer, or <see langword="null"/> when the store failed, did not answer in time, or the wait was cancelled.</returns>
    private async Task<RabbitHaDeduplicationResult?> ClaimAsync(string messageId, CancellationToken cancellationToken)
    {
        TimeSpan pause = TimeSpan.FromMilliseconds(50);
        long started = Stopwatch.GetTimestamp();
        try
        {
            while (true)
            {
                RabbitHaDeduplicationResult result = await CallStoreAsync(messageId,
                    static (store, scope, id, token) => store.TryClaimAsync(scope, id, token), cancellationToken, ReleaseLateClaim).ConfigureAwait(false);
                if (result != RabbitHaDeduplicationResult.InProgress || Stopwatch.GetElapsedTime(started) >= s_inProgressPatience)
                {
                    return result;
                }

                // The other copy may yet fail (then this one must be handled) or succeed (then it is dropped):
                // acknowledging it now could lose the message, requeueing it at once would spin.
                await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, s_inProgressPollMax.Ticks));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        // A pluggable store (a database, a cache) may fail in any way; logged as an error, and the message goes back to the queue.
        catch (Exception ex)
        {
            _logger.DeduplicationStoreFailed(Name, "claim", messageId, ex);
            try
            {
                await Task.Delay(s_storeFailurePause, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Stopping: return the message now.
            }

            return null;
        }
    }

    private Task ReleaseClaimAsync(bool claimed, string? messageId) =>
        claimed
            ? StoreAsync(messageId!, "release", static (store, scope, id, token) => store.ReleaseAsync(scope, id, token))
            : Task.CompletedTask;

    /// <summary>Marks or releases: the message's own outcome stands whatever the store does, so a failure is only logged.</summary>
    private async Task StoreAsync(string messageId, string operation, Func<IRabbitHaDeduplicationStore, string, string, CancellationToken, ValueTask> call)
    {
        try
        {
            // Not cancelled by stopping: the record is worth more than the few milliseconds it takes.
            await CallStoreAsync(messageId, async (store, scope, id, token) =>
            {
                await call(store, scope, id, token).ConfigureAwait(false);
                return true;
            }, CancellationToken.None).ConfigureAwait(false);
        }
        // As in ClaimAsync: the store's failure is logged as an error; the message's own outcome stands.
        catch (Exception ex)
        {
            _logger.DeduplicationStoreFailed(Name, operation, messageId, ex);
        }
    }

    /// <summary>
    /// Calls the store on its own task (a store that blocks its thread must not block the consumer's), and stops waiting
    /// after <see cref="RabbitHaConsumerOptions.DeduplicationStoreTimeout"/>: then the call's token is cancelled, the
    /// call is left to finish alone (<paramref name="whenLate"/> sees its result), and this throws.
    /// </summary>
    /// <exception cref="TimeoutException">The store did not answer in time.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    private async Task<T> CallStoreAsync<T>(
        string messageId,
        Func<IRabbitHaDeduplicationStore, string, string, CancellationToken, ValueTask<T>> call,
        CancellationToken cancellationToken,
        Action<Task<T>, string>? whenLate = null)
    {
        IRabbitHaDeduplicationStore store = _store!;
        string scope = _options.Queue;
        using var callToken = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<T> calling = Task.Run(() => call(store, scope, messageId, callToken.Token).AsTask(), CancellationToken.None);
        await ((Task)calling).WaitAsync(_options.DeduplicationStoreTimeout, _timeProvider, cancellationToken)
            .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!calling.IsCompleted)
        {
            // The store may have registered callbacks of its own on the token: cancelled here, not by a timer (see HandlerCancellation).
            await HandlerCancellation.CancelAsync(callToken, _logger, Name).ConfigureAwait(false);
            _ = calling.ContinueWith(static (late, state) =>
            {
                var (callback, id) = ((Action<Task<T>, string>?, string))state!;
                if (callback is not null)
                {
                    callback(late, id);
                }
                else
                {
                    // Read, so that a late failure is not reported as unobserved; the caller already logged the timeout.
                    _ = late.Exception;
                }
            }, (whenLate, messageId), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"The deduplication store did not answer within {_options.DeduplicationStoreTimeout} (DeduplicationStoreTimeout).");
        }

        return await calling.ConfigureAwait(false);
    }

    /// <summary>
    /// A claim that the store granted after the consumer stopped waiting: the message went back to its queue meanwhile,
    /// and its next delivery would find it in progress until the claim expired. Released, so that it does not.
    /// </summary>
    private void ReleaseLateClaim(Task<RabbitHaDeduplicationResult> late, string messageId)
    {
        if (late.IsCompletedSuccessfully && late.Result == RabbitHaDeduplicationResult.Claimed)
        {
            _logger.LateClaimReleased(Name, messageId);
            _ = ReleaseClaimAsync(claimed: true, messageId);
        }
        else
        {
            _ = late.Exception;
        }
    }
}
