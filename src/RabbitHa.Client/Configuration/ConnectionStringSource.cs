using Microsoft.Extensions.Configuration;

namespace RabbitHa.Client.Internal.Configuration;

/// <summary>
/// A connection string that set <see cref="RabbitHaOptions.Uri"/>: its configuration path (<c>ConnectionStrings:&lt;name&gt;</c>)
/// and the value it set, so that validation names that key rather than <c>RabbitHa:Uri</c>.
/// </summary>
/// <remarks>
/// The value is kept to tell whether the URI is still the connection string's: a configure action that runs later and sets
/// <see cref="RabbitHaOptions.Uri"/> in code makes the URI its own again.
/// </remarks>
internal sealed record ConnectionStringSource(string Path, string Value)
{
    /// <summary>The configuration path of a connection string: <c>ConnectionStrings:&lt;name&gt;</c> below the given configuration.</summary>
    public static string PathOf(IConfiguration configuration, string name)
    {
        string key = ConfigurationPath.Combine("ConnectionStrings", name);
        return configuration is IConfigurationSection section ? ConfigurationPath.Combine(section.Path, key) : key;
    }

    /// <summary>
    /// Sets <see cref="RabbitHaOptions.Uri"/> from the connection string, if there is one: read when the options are built, so a
    /// configuration source added after <c>AddRabbitHa</c> counts too. A missing or blank connection string changes nothing.
    /// </summary>
    public static void Apply(RabbitHaOptions options, IConfiguration configuration, string name, string path)
    {
        string? value = configuration.GetConnectionString(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            return;
        }

        options.Uri = value;
        options.UriSource = new ConnectionStringSource(path, value);
    }

    /// <summary>The configuration path to name in a message about <see cref="RabbitHaOptions.Uri"/>.</summary>
    public static string UriPath(RabbitHaOptions options, string sectionPath) =>
        options.UriSource is { } source && string.Equals(source.Value, options.Uri, StringComparison.Ordinal)
            ? source.Path
            : $"{sectionPath}:Uri";
}
