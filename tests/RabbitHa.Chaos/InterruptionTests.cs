using System.Diagnostics;
using Xunit;

namespace RabbitHa.Chaos;

/// <summary>The suite's measure of a pause, without a broker.</summary>
[Trait("Category", "Unit")]
public sealed class InterruptionTests
{
    private static readonly long Second = Stopwatch.Frequency;

    [Fact]
    public void Measure_SteadyFlowWithoutPause_IsNotAnInterruption()
    {
        long[] events = [.. Enumerable.Range(1, 100).Select(i => i * Second / 100)];

        Assert.Null(Interruption.Measure([0], 2 * Second, events));
    }

    [Fact]
    public void Measure_LongestPauseAfterTheFault_EndsWhereTheFlowResumed()
    {
        // Fault at 1 s; a 100 ms jitter, then nothing from 1.2 s to 3.2 s, then a 400 ms pause.
        long[] events = [Second / 2, Second * 11 / 10, Second * 12 / 10, Second * 32 / 10, Second * 36 / 10, Second * 37 / 10];

        Interruption? measured = Interruption.Measure([Second], 4 * Second, events);

        Assert.Equal(TimeSpan.FromSeconds(2), measured!.Value.Pause);
        Assert.Equal(TimeSpan.FromSeconds(2.2), measured.Value.Resume);
    }

    [Fact]
    public void Measure_SeveralSteps_TakesTheWorstPauseAndTheLatestResumeEachFromItsOwnStep()
    {
        // Step 1 at 0 s: nothing until 1 s. Step 2 at 2 s: nothing until 2.5 s; events after `until` are ignored.
        long[] events = [Second, Second * 15 / 10, Second * 25 / 10, Second * 26 / 10, 10 * Second];

        Interruption? measured = Interruption.Measure([0, 2 * Second], 3 * Second, events);

        Assert.Equal(TimeSpan.FromSeconds(1), measured!.Value.Pause);
        Assert.Equal(TimeSpan.FromSeconds(1), measured.Value.Resume);
    }
}
