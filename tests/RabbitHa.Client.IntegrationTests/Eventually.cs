using System.Diagnostics;

namespace RabbitHa.Client.IntegrationTests;

/// <summary>Polls a condition that the system reaches by itself, with a deadline that fails the test.</summary>
internal static class Eventually
{
    public static async Task<TimeSpan> HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Not reached within {timeout.TotalSeconds:F0} s: {what}");
            }

            await Task.Delay(100);
        }

        return clock.Elapsed;
    }
}
