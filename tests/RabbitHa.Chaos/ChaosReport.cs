using System.Globalization;
using System.Text;
using RabbitHa.Client;

namespace RabbitHa.Chaos;

/// <summary>One scenario run, as the books of its <see cref="Workload"/> closed.</summary>
/// <param name="Scenario">What was done to the cluster.</param>
/// <param name="QueueType">The queue the workload used.</param>
/// <param name="Shape">How the workload's applications were laid out.</param>
/// <param name="RabbitMq">The RabbitMQ major version the cluster ran (its profile).</param>
/// <param name="Round">Which round (soak mode), from 1.</param>
/// <param name="Published">Publishes started.</param>
/// <param name="Confirmed">Publishes that returned: the broker confirmed them.</param>
/// <param name="Handled">Distinct confirmed-or-not message ids a consumer handled.</param>
/// <param name="Duplicates">Handlings beyond the first of a message id.</param>
/// <param name="Lost">Confirmed message ids never handled.</param>
/// <param name="Exceptions">Exceptions thrown to the producer's caller.</param>
/// <param name="Publishing">The longest pause between confirms after the fault, and when they resumed; <see langword="null"/> if not interrupted.</param>
/// <param name="Consuming">The same for handlings, the slowest of the consumers; <see langword="null"/> if not interrupted or not measured.</param>
/// <param name="Notes">Where the producer, the queue leader and the fault were.</param>
internal sealed record ChaosReportRow(
    string Scenario,
    RabbitHaQueueType QueueType,
    WorkloadShape Shape,
    int RabbitMq,
    int Round,
    int Published,
    int Confirmed,
    int Handled,
    int Duplicates,
    int Lost,
    int Exceptions,
    Interruption? Publishing,
    Interruption? Consuming,
    string Notes);

/// <summary>
/// The suite's books: a markdown table, one row per scenario run, rewritten to <see cref="FilePath"/> every time a
/// row is added (a crashed run leaves a partial report) and printed to each test's output.
/// </summary>
internal static class ChaosReport
{
    private const string Header =
        "| Scenario | Queue | Shape | RabbitMQ | Round | Published | Confirmed | Handled | Duplicates | Lost | Exceptions | Publish pause / resume (ms) | Consume pause / resume (ms) | Notes |\n" +
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |";

    private static readonly Lock Gate = new();
    private static readonly List<ChaosReportRow> AllRows = [];
    private static readonly DateTime Started = DateTime.UtcNow;

    /// <summary>Gets where the report is written: <c>RABBITHA_CHAOS_REPORT</c>, or <c>artifacts/chaos-report.md</c> in the repository.</summary>
    public static string FilePath { get; } = Environment.GetEnvironmentVariable(ChaosSettings.ReportVariable) is { Length: > 0 } path
        ? Path.GetFullPath(path)
        : Path.Combine(RepositoryRoot(), "artifacts", "chaos-report.md");

    public static IReadOnlyList<ChaosReportRow> Rows
    {
        get
        {
            lock (Gate)
            {
                return [.. AllRows];
            }
        }
    }

    /// <summary>Adds a row and rewrites the report file.</summary>
    public static void Add(ChaosReportRow row)
    {
        string text;
        lock (Gate)
        {
            AllRows.Add(row);
            text = Document();
        }

        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        File.WriteAllText(FilePath, text);
    }

    /// <summary>The table of the given rows, or of every row so far.</summary>
    public static string ToMarkdown(IEnumerable<ChaosReportRow>? rows = null)
    {
        var table = new StringBuilder(Header).Append('\n');
        foreach (ChaosReportRow r in rows ?? Rows)
        {
            table.Append(CultureInfo.InvariantCulture,
                $"| {r.Scenario} | {r.QueueType} | {ShapeName(r.Shape)} | {r.RabbitMq} | {r.Round} | {r.Published} | {r.Confirmed} | {r.Handled} | {r.Duplicates} | {r.Lost} | {r.Exceptions} | {Ms(r.Publishing)} | {Ms(r.Consuming)} | {r.Notes} |\n");
        }

        return table.ToString();
    }

    private static string Document()
    {
        var text = new StringBuilder();
        text.Append("# RabbitHa chaos report\n\n");
        text.Append(CultureInfo.InvariantCulture, $"Run started {Started:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores, {ChaosSettings.Rounds} round(s) per scenario ({ChaosSettings.RoundsVariable}).\n");
        text.Append("Lost = confirmed message ids never handled. Pause = the longest time without a confirm (a handling: the slowest consumer) after the fault; ");
        text.Append("resume = from the fault to the end of that pause; – = no pause over 250 ms.\n\n");
        text.Append(ToMarkdown(AllRows));
        return text.ToString();
    }

    private static string ShapeName(WorkloadShape shape) => shape == WorkloadShape.OneApp ? "one app" : "one role per connection";

    private static string Ms(Interruption? value) =>
        value is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v.Pause.TotalMilliseconds:F0} / {v.Resume.TotalMilliseconds:F0}") : "–";

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RabbitHa.sln")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
