namespace RabbitHa.Redis.Tests.Unit;

/// <summary>One key per scope and message id; a scope with ':' never shares a key with another scope and id.</summary>
[Trait("Category", "Unit")]
public sealed class RedisDeduplicationKeysTests
{
    [Fact]
    public void Key_IsPrefixScopeAndMessageId()
    {
        Assert.Equal("rabbitha:dedupe:orders:42", RedisDeduplicationKeys.Key("rabbitha:dedupe:", "orders", "42"));
    }

    [Fact]
    public void Key_KeepsTheMessageIdAsItIs()
    {
        Assert.Equal("p:orders:a:b\\c", RedisDeduplicationKeys.Key("p:", "orders", "a:b\\c"));
    }

    [Theory]
    [InlineData("a:b", "c", "p:a\\:b:c")]
    [InlineData("a", "b:c", "p:a:b:c")]
    [InlineData("a\\", "b", "p:a\\\\:b")]
    [InlineData("a\\:", "b", "p:a\\\\\\::b")]
    public void Key_EscapesColonAndBackslashInTheScope(string scope, string messageId, string expected)
    {
        Assert.Equal(expected, RedisDeduplicationKeys.Key("p:", scope, messageId));
    }

    [Fact]
    public void Key_NeverMixesUpScopeAndMessageId()
    {
        string[] parts = ["a", "b", ":", "\\", "a:b", "a\\b", "a\\:b", ""];
        var seen = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (string scope in parts)
        {
            foreach (string id in parts)
            {
                string key = RedisDeduplicationKeys.Key("p:", scope, id);
                Assert.False(seen.TryGetValue(key, out var other), $"'{scope}'/'{id}' and '{other}' share the key '{key}'");
                seen[key] = (scope, id);
            }
        }
    }

    [Fact]
    public void ClaimValue_NamesTheOwnerAndTheClaim()
    {
        Assert.Equal("claimed:0123abcd:7", RedisDeduplicationKeys.ClaimValue("0123abcd", 7));
    }
}
