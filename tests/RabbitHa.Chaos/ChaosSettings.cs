using System.Globalization;

namespace RabbitHa.Chaos;

/// <summary>Settings of a chaos run, from the environment.</summary>
internal static class ChaosSettings
{
    /// <summary>The environment variable that sets how many rounds each scenario runs ("soak" mode).</summary>
    public const string RoundsVariable = "RABBITHA_CHAOS_ROUNDS";

    /// <summary>The environment variable that moves the report file (default: artifacts/chaos-report.md in the repository).</summary>
    public const string ReportVariable = "RABBITHA_CHAOS_REPORT";

    /// <summary>Gets how many times each scenario runs in its test: <c>RABBITHA_CHAOS_ROUNDS</c>, 1 by default (what CI runs).</summary>
    public static int Rounds { get; } = ReadRounds();

    private static int ReadRounds()
    {
        string? value = Environment.GetEnvironmentVariable(RoundsVariable);
        if (string.IsNullOrWhiteSpace(value))
        {
            return 1;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int rounds) && rounds >= 1
            ? rounds
            : throw new InvalidOperationException($"{RoundsVariable} must be a whole number of at least 1, not '{value}'.");
    }
}
