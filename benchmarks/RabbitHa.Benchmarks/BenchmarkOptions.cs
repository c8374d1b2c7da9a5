using System.Globalization;
using System.Text;

namespace RabbitHa.Benchmarks;

/// <summary>Command-line options; <see cref="Usage"/> says what each one does.</summary>
internal sealed record BenchmarkOptions
{
    public const string Usage = """
        Usage: dotnet run --project benchmarks/RabbitHa.Benchmarks -c Release -- [options]

        Starts its own 3-node cluster behind HAProxy in Docker (or uses --uri), then runs, in this order:

        Throughput (unless --rounds 0):
          --rounds N            throughput rounds; the median round is reported (default 3; 0 skips throughput,
                                and is the default when --soak is given without --rounds)
          --messages N          messages per run, throughput and failover (default 20000)
          --window N            publishes in flight / concurrent callers, for every contender (default 100)
          --serial-messages N   messages of the raw one-at-a-time run (default 2000)

        Failover (needs the benchmark's own cluster):
          --failover            failover rounds: each contender publishes --messages while its node is killed,
                                one round unless --failover-rounds says otherwise
          --failover-rounds N   the number of failover rounds (default 1; implies --failover; 0: none);
                                per round, then median and worst
          --failover-stop       stop the node gracefully (SIGTERM: RabbitMQ closes its connections) instead of
                                killing it (SIGKILL); the pause is counted from the start of the stop

        Soak (needs the benchmark's own cluster unless --soak-kill-every 0):
          --soak MINUTES        RabbitHa publisher + 3 RabbitHa consumer apps at a steady rate for MINUTES, one row a minute
          --rate N              soak publish rate, messages a second (default 1000)
          --soak-kill-every S   kill the producer's node every S seconds, then start it again (default 120; 0: no kills)

        Reconnect storm (needs the benchmark's own cluster):
          --storm N             N RabbitHa connections; HAProxy killed for --storm-outage seconds, then started:
                                reconnection attempts per second, and how soon each connection is open again
          --storm-outage S      how long HAProxy stays down (default 10)

        --uri amqp://user:pass@host:port/   an existing cluster's HAProxy instead of the benchmark's own cluster
        --help                this text
        """;

    public int Messages { get; init; } = 20_000;

    public int SerialMessages { get; init; } = 2_000;

    public int Window { get; init; } = 100;

    /// <summary>Gets the number of throughput rounds; 0 for none.</summary>
    public int Rounds { get; init; } = 3;

    public Uri? Uri { get; init; }

    public bool Failover => FailoverRounds > 0;

    /// <summary>Gets the number of failover rounds; 0 for none.</summary>
    public int FailoverRounds { get; init; }

    /// <summary>Gets the soak's length in minutes; 0 for no soak.</summary>
    public int SoakMinutes { get; init; }

    public int Rate { get; init; } = 1_000;

    /// <summary>Gets a value indicating whether failover rounds stop the node gracefully instead of killing it.</summary>
    public bool FailoverStop { get; init; }

    /// <summary>Gets what a failover round does to the node, as the report names it.</summary>
    public string FailoverFault => FailoverStop ? "graceful stop" : "kill -9";

    public TimeSpan SoakKillEvery { get; init; } = TimeSpan.FromSeconds(120);

    public bool Help { get; init; }

    /// <summary>Gets the number of connections of the reconnect storm; 0 for none.</summary>
    public int StormConnections { get; init; }

    public TimeSpan StormOutage { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets the arguments as given, with a password in --uri masked: what the header quotes.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    public static BenchmarkOptions Parse(string[] args)
    {
        var options = new BenchmarkOptions();
        var roundsGiven = false;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value.\n\n{Usage}");
            int Number() => int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                ? n
                : throw new ArgumentException($"{name} takes a whole number >= 0, not '{args[i]}'.");

            switch (name)
            {
                case "--messages": options = options with { Messages = Number() }; break;
                case "--serial-messages": options = options with { SerialMessages = Number() }; break;
                case "--window": options = options with { Window = Math.Max(1, Number()) }; break;
                case "--rounds": options = options with { Rounds = Number() }; roundsGiven = true; break;
                case "--uri": options = options with { Uri = new Uri(Value()) }; break;
                case "--failover": options = options with { FailoverRounds = Math.Max(1, options.FailoverRounds) }; break;
                case "--failover-rounds": options = options with { FailoverRounds = Number() }; break;
                case "--failover-stop": options = options with { FailoverStop = true, FailoverRounds = Math.Max(1, options.FailoverRounds) }; break;
                case "--soak": options = options with { SoakMinutes = Number() }; break;
                case "--rate": options = options with { Rate = Math.Max(1, Number()) }; break;
                case "--soak-kill-every": options = options with { SoakKillEvery = TimeSpan.FromSeconds(Number()) }; break;
                case "--storm": options = options with { StormConnections = Number() }; break;
                case "--storm-outage": options = options with { StormOutage = TimeSpan.FromSeconds(Math.Max(1, Number())) }; break;
                case "--help" or "-h": options = options with { Help = true }; break;
                default: throw new ArgumentException($"Unknown option '{name}'.\n\n{Usage}");
            }
        }

        // A soak or a storm is long enough on its own; throughput rounds before it only when asked for.
        if ((options.SoakMinutes > 0 || options.StormConnections > 0) && !roundsGiven)
        {
            options = options with { Rounds = 0 };
        }

        return options with { Arguments = args.Select(Redact).ToArray() };
    }

    /// <summary>The command that produced the figures, as docs/BENCHMARKS.md quotes it.</summary>
    public string CommandLine()
    {
        var command = new StringBuilder("dotnet run --project benchmarks/RabbitHa.Benchmarks -c Release");
        if (Arguments.Count > 0)
        {
            command.Append(" --");
            foreach (var argument in Arguments)
            {
                command.Append(' ').Append(argument.Contains(' ', StringComparison.Ordinal) ? $"\"{argument}\"" : argument);
            }
        }

        return command.ToString();
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Messages} messages of 256 B per run, window {Window}");
        text.Append(Rounds > 0 ? string.Create(CultureInfo.InvariantCulture, $", {Rounds} throughput round(s), one-at-a-time loop {SerialMessages} messages") : ", no throughput rounds");
        text.Append(Uri is null ? ", own cluster" : $", cluster at {Uri.Host}:{Uri.Port}");
        text.Append(Failover ? string.Create(CultureInfo.InvariantCulture, $", {FailoverRounds} failover round(s) ({FailoverFault})") : string.Empty);
        text.Append(SoakMinutes > 0
            ? string.Create(CultureInfo.InvariantCulture, $", soak {SoakMinutes} min at {Rate} msg/s, {(SoakKillEvery > TimeSpan.Zero ? $"producer's node killed every {SoakKillEvery.TotalSeconds:F0} s" : "no kills")}")
            : string.Empty);
        return text.ToString();
    }

    /// <summary>An AMQP URI's password is masked: the header is meant to be pasted into docs.</summary>
    private static string Redact(string argument) =>
        Uri.TryCreate(argument, UriKind.Absolute, out var uri) && uri.UserInfo.Contains(':', StringComparison.Ordinal)
            ? argument.Replace(uri.UserInfo, uri.UserInfo[..uri.UserInfo.IndexOf(':', StringComparison.Ordinal)] + ":***", StringComparison.Ordinal)
            : argument;
}
