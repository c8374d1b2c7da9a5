using System.Net;

namespace RabbitHa.Redis;

/// <summary>Names Redis by its endpoints, <c>host:port</c>: what logs and messages show instead of a configuration string, which may carry a password.</summary>
internal static class RedisEndpoints
{
    public static string Describe(IEnumerable<EndPoint> endpoints)
    {
        string described = string.Join(", ", endpoints.Select(Describe));
        return described.Length == 0 ? "(no endpoint)" : described;
    }

    public static string Describe(EndPoint endpoint) => endpoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        IPEndPoint ip => ip.ToString(),
        _ => endpoint.ToString() ?? endpoint.GetType().Name,
    };
}
