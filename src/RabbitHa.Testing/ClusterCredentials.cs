using System.Security.Cryptography;

namespace RabbitHa.Testing;

/// <summary>
/// The logins of one cluster, generated when it is built, so that no cluster a test starts can be entered with
/// credentials anybody knows (guest/guest, admin/admin).
/// </summary>
/// <remarks>
/// Only letters, digits, <c>-</c> and <c>_</c>: the values go unescaped into an AMQP URI, HTTP basic
/// authentication and HAProxy's configuration (through environment variables).
/// </remarks>
internal sealed record ClusterCredentials(string UserName, string Password, string ProxyStatsUserName, string ProxyStatsPassword)
{
    private const string SecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    private const string NameAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    // 32 characters of 64: 192 bits.
    private const int SecretLength = 32;

    public static ClusterCredentials Generate() => new(
        "rabbitha-" + RandomNumberGenerator.GetString(NameAlphabet, 8),
        RandomNumberGenerator.GetString(SecretAlphabet, SecretLength),
        "stats-" + RandomNumberGenerator.GetString(NameAlphabet, 8),
        RandomNumberGenerator.GetString(SecretAlphabet, SecretLength));

    /// <summary>Keeps the passwords out of logs and assertion messages that print the record.</summary>
    public override string ToString() => $"{nameof(ClusterCredentials)} {{ {nameof(UserName)} = {UserName}, {nameof(ProxyStatsUserName)} = {ProxyStatsUserName} }}";
}
