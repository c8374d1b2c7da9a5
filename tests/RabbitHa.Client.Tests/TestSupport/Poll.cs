using System.Diagnostics;

namespace RabbitHa.Client.Tests.TestSupport;

/// <summary>Waits for something a background task reaches by itself, with a deadline that fails the test.</summary>
internal static class Poll
{
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        TimeSpan limit = timeout ?? TimeSpan.FromSeconds(10);
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"Not reached within {limit.TotalSeconds:F0} s: {what}");
            }

            await Task.Delay(10);
        }
    }
}
