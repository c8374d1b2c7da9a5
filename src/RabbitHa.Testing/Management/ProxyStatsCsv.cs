using System.Globalization;

namespace RabbitHa.Testing.Management;

/// <summary>Parses HAProxy's statistics in CSV form (the <c>;csv</c> variant of the stats page).</summary>
internal static class ProxyStatsCsv
{
    /// <summary>Returns the servers of one backend, skipping its FRONTEND and BACKEND summary rows.</summary>
    /// <exception cref="FormatException">The text is not HAProxy's CSV (no header with pxname, svname and status).</exception>
    public static IReadOnlyList<ProxyBackendState> ParseServers(string csv, string backend)
    {
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length == 0 || !lines[0].StartsWith("# ", StringComparison.Ordinal))
        {
            throw new FormatException("HAProxy statistics: the CSV header line ('# pxname,svname,...') is missing.");
        }

        var header = lines[0][2..].Split(',');
        var proxy = Column(header, "pxname");
        var server = Column(header, "svname");
        var status = Column(header, "status");
        var sessions = Column(header, "scur");

        var servers = new List<ProxyBackendState>();
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split(',');
            if (fields.Length <= Math.Max(status, sessions) || fields[proxy] != backend
                || fields[server] is "FRONTEND" or "BACKEND")
            {
                continue;
            }

            _ = int.TryParse(fields[sessions], NumberStyles.Integer, CultureInfo.InvariantCulture, out var current);
            servers.Add(new ProxyBackendState(fields[server], fields[status], current));
        }

        return servers;
    }

    private static int Column(string[] header, string name)
    {
        var index = Array.IndexOf(header, name);
        return index >= 0 ? index : throw new FormatException($"HAProxy statistics: the CSV header has no '{name}' column.");
    }
}
