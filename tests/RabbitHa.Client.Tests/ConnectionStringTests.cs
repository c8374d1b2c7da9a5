using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RabbitHa.Client.Internal.Diagnostics;

namespace RabbitHa.Client.Tests;

/// <summary><c>AddRabbitHa(configuration, connectionName)</c>: the URI from <c>ConnectionStrings:&lt;name&gt;</c>, as Aspire passes it.</summary>
[Trait("Category", "Unit")]
public sealed class ConnectionStringTests
{
    private const string FromConnectionString = "amqps://app:hunter2@rabbit.example.com:5671/orders";

    [Fact]
    public void AddRabbitHa_WithConnectionName_TakesTheUriFromTheConnectionStringAndTheRestFromTheSection()
    {
        RabbitHaOptions options = Options(new()
        {
            ["ConnectionStrings:messaging"] = FromConnectionString,
            ["RabbitHa:ClientProvidedName"] = "orders-api",
            ["RabbitHa:FallbackEndpoints:0"] = "rmq1",
        });

        Assert.Equal(FromConnectionString, options.Uri);
        Assert.Equal("orders-api", options.ClientProvidedName);
        Assert.Equal(["rmq1"], options.FallbackEndpoints);
    }

    [Fact]
    public void AddRabbitHa_WhenBothAreSet_ConnectionStringWinsOverTheSectionsUri()
    {
        RabbitHaOptions options = Options(new()
        {
            ["ConnectionStrings:messaging"] = FromConnectionString,
            ["RabbitHa:Uri"] = "amqp://dev:dev@localhost:5672/",
        });

        Assert.Equal(FromConnectionString, options.Uri);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void AddRabbitHa_WhenConnectionStringMissingOrBlank_KeepsTheSectionsUri(string? connectionString)
    {
        RabbitHaOptions options = Options(new()
        {
            ["ConnectionStrings:messaging"] = connectionString,
            ["RabbitHa:Uri"] = "amqp://dev:dev@localhost:5672/",
        });

        Assert.Equal("amqp://dev:dev@localhost:5672/", options.Uri);
    }

    [Fact]
    public void AddRabbitHa_WhenNeitherIsSet_UsesHostAndPort()
    {
        RabbitHaOptions options = Options(new() { ["RabbitHa:Host"] = "haproxy", ["RabbitHa:Port"] = "5673" });

        Assert.Null(options.Uri);
        Assert.Equal(("haproxy", 5673), (options.Host, options.Port));
    }

    [Fact]
    public void AddRabbitHa_WhenConfigureSetsTheUri_CodeWinsOverTheConnectionString()
    {
        RabbitHaOptions options = Options(
            new() { ["ConnectionStrings:messaging"] = FromConnectionString },
            configure: o => o.Uri = "amqp://code:secret@haproxy/");

        Assert.Equal("amqp://code:secret@haproxy/", options.Uri);
    }

    [Fact]
    public void AddRabbitHa_WhenConfiguredInCodeAfterTheCall_CodeWins()
    {
        IConfiguration configuration = Configuration(new() { ["ConnectionStrings:messaging"] = FromConnectionString });
        var services = new ServiceCollection();
        services.AddRabbitHa(configuration, "messaging");
        services.AddRabbitHa(o => o.Uri = "amqp://code:secret@haproxy/");

        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Equal("amqp://code:secret@haproxy/", provider.GetRequiredService<IOptions<RabbitHaOptions>>().Value.Uri);
    }

    [Fact]
    public void AddRabbitHa_ReadsTheConnectionStringWhenTheOptionsAreBuilt()
    {
        var source = new Dictionary<string, string?>();
        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(source).Build();
        var services = new ServiceCollection();
        services.AddRabbitHa(configuration, "messaging");
        configuration["ConnectionStrings:messaging"] = FromConnectionString; // e.g. a source added after AddRabbitHa

        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Equal(FromConnectionString, provider.GetRequiredService<IOptions<RabbitHaOptions>>().Value.Uri);
    }

    [Fact]
    public void AddRabbitHa_CalledTwiceWithTheSameName_RegistersOnceAndBindsListsOnce()
    {
        IConfiguration configuration = Configuration(new()
        {
            ["ConnectionStrings:messaging"] = FromConnectionString,
            ["RabbitHa:FallbackEndpoints:0"] = "rmq1",
        });
        var services = new ServiceCollection();
        services.AddRabbitHa(configuration, "messaging");
        int countAfterFirstCall = services.Count;
        services.AddRabbitHa(configuration, "messaging");

        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Equal(countAfterFirstCall, services.Count);
        Assert.Single(provider.GetServices<IValidateOptions<RabbitHaOptions>>());
        Assert.Single(provider.GetRequiredService<IOptions<RabbitHaOptions>>().Value.FallbackEndpoints);
    }

    [Theory]
    [InlineData("http://app:hunter2@rabbit.example.com/", "ConnectionStrings:messaging must use the amqp:// or amqps:// scheme (was 'http://***@rabbit.example.com/').")]
    [InlineData("amqp://app:hunter2@rabbit.example.com/a/b", "ConnectionStrings:messaging must have at most one path segment (the virtual host) (was 'amqp://***@rabbit.example.com/a/b').")]
    [InlineData("rabbit.example.com:5672", "ConnectionStrings:messaging must use the amqp:// or amqps:// scheme (was 'rabbit.example.com:5672').")]
    [InlineData("Host=rabbit.example.com;Username=app;Password=hunter2", "ConnectionStrings:messaging must be an absolute amqp:// or amqps:// URI (was 'Host=rabbit.example.com;Username=app;Password=***').")]
    [InlineData("amqp://:hunter2@rabbit.example.com/", "ConnectionStrings:messaging must not have an empty user name; leave the user information out to use RabbitHa:UserName (was 'amqp://***@rabbit.example.com/').")]
    public void Validate_WhenConnectionStringInvalid_NamesTheConnectionStringWithoutThePassword(string connectionString, string expected)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Options(new() { ["ConnectionStrings:messaging"] = connectionString }));

        Assert.Contains(expected, ex.Failures);
        Assert.DoesNotContain("RabbitHa:Uri", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WhenCodeReplacesAnInvalidConnectionString_NamesNothing()
    {
        RabbitHaOptions options = Options(
            new() { ["ConnectionStrings:messaging"] = "not a uri" },
            configure: o => o.Uri = "amqp://code:secret@haproxy/");

        Assert.Equal("amqp://code:secret@haproxy/", options.Uri);
    }

    [Fact]
    public void Validate_WhenCodeSetsAnInvalidUri_NamesTheSectionsUri()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Options(
            new() { ["ConnectionStrings:messaging"] = FromConnectionString },
            configure: o => o.Uri = "http://haproxy/"));

        Assert.Contains("RabbitHa:Uri must use the amqp:// or amqps:// scheme (was 'http://haproxy/').", ex.Failures);
    }

    [Fact]
    public void Validate_WhenConfigurationIsASection_NamesTheConnectionStringByItsFullPath()
    {
        IConfiguration configuration = Configuration(new() { ["App:ConnectionStrings:messaging"] = "http://haproxy/" });
        var services = new ServiceCollection();
        services.AddRabbitHa(configuration.GetSection("App"), "messaging");
        using ServiceProvider provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RabbitHaOptions>>().Value);

        Assert.Contains("App:ConnectionStrings:messaging must use the amqp:// or amqps:// scheme (was 'http://haproxy/').", ex.Failures);
    }

    [Fact]
    public async Task StartAsync_WhenConnectionStringInvalid_StopsTheHostNamingIt()
    {
        using IHost host = Host.CreateDefaultBuilder()
            .ConfigureAppConfiguration(c => c.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:messaging"] = "amqp://app:hunter2@rabbit.example.com:99999/",
            }))
            .ConfigureServices((context, services) => services.AddRabbitHa(context.Configuration, connectionName: "messaging"))
            .Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("ConnectionStrings:messaging must be an absolute amqp:// or amqps:// URI (was 'amqp://***@rabbit.example.com:99999/').", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_WhenUriIsAKeywordConnectionString_HidesThePassword()
    {
        var options = new RabbitHaOptions { Uri = "Host=rabbit;Password=hunter2;Username=app" };

        Assert.DoesNotContain("hunter2", options.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("amqp://app:hunter2@rabbit/", "amqp://***@rabbit/")]
    [InlineData("Host=rabbit;Password=hunter2", "Host=rabbit;Password=***")]
    [InlineData("host=rabbit; pwd = hunter2 ;user=app", "host=rabbit; pwd =***;user=app")]
    [InlineData("Endpoint=rabbit;SharedAccessKey=hunter2;ClientSecret=hunter2", "Endpoint=rabbit;SharedAccessKey=***;ClientSecret=***")]
    [InlineData("amqp://rabbit/?password=hunter2", "amqp://rabbit/?***")]
    [InlineData("amqp://app:hunter2@rabbit/?x=1", "amqp://***@rabbit/?***")]
    [InlineData("rabbit:5672", "rabbit:5672")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void RedactConnectionString_HidesPasswordsInUriAndKeywordForms(string? value, string expected)
    {
        Assert.Equal(expected, Redaction.RedactConnectionString(value));
    }

    [Fact]
    public void AddRabbitHa_WhenArgumentsNull_ThrowsNamingThem()
    {
        IConfiguration configuration = Configuration([]);

        Assert.Equal("services", Assert.Throws<ArgumentNullException>(() => ((IServiceCollection)null!).AddRabbitHa(configuration, "messaging")).ParamName);
        Assert.Equal("configuration", Assert.Throws<ArgumentNullException>(() => new ServiceCollection().AddRabbitHa((IConfiguration)null!, "messaging")).ParamName);
        Assert.Equal("connectionName", Assert.Throws<ArgumentNullException>(() => new ServiceCollection().AddRabbitHa(configuration, (string)null!)).ParamName);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void AddRabbitHa_WhenConnectionNameBlank_ThrowsNamingIt(string connectionName)
    {
        var ex = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddRabbitHa(Configuration([]), connectionName));

        Assert.Equal("connectionName", ex.ParamName);
    }

    private static IConfiguration Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    private static RabbitHaOptions Options(Dictionary<string, string?> values, Action<RabbitHaOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddRabbitHa(Configuration(values), "messaging", configure);
        using ServiceProvider provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<RabbitHaOptions>>().Value;
    }
}
