using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace RabbitHa.Client.Tests.Publishing;

[Trait("Category", "Unit")]
public sealed class AddPublisherTests
{
    [Fact]
    public void AddPublisher_Twice_RegistersOnePublisherAndAppliesEveryConfiguration()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddRabbitHa(_ => { }).AddPublisher(o => o.MaxInFlight = 10).AddPublisher(o => o.MaxNackRetries = 7);

        Assert.Single(services, d => d.ServiceType == typeof(IRabbitHaPublisher));
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<RabbitHaPublisherOptions>>().Value;
        Assert.Equal(10, options.MaxInFlight);
        Assert.Equal(7, options.MaxNackRetries);
        Assert.IsType<SystemTextJsonRabbitHaSerializer>(provider.GetRequiredService<IRabbitHaSerializer>());
    }

    [Fact]
    public void AddPublisher_FromConfiguration_BindsAndValidatesWithTheSectionPath()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Messaging:Publisher:MaxInFlight"] = "0" })
            .Build();
        var services = new ServiceCollection().AddLogging();
        services.AddRabbitHa(_ => { }).AddPublisher(configuration.GetSection("Messaging:Publisher"));
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RabbitHaPublisherOptions>>().Value);
        Assert.Contains("Messaging:Publisher:MaxInFlight must be between 1 and 65535 (was 0).", ex.Failures);
    }

    [Fact]
    public void AddPublisher_WithNullBuilder_ThrowsNamingTheParameter()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => RabbitHaPublisherBuilderExtensions.AddPublisher(null!));
        Assert.Equal("builder", ex.ParamName);
    }
}
