using RabbitHa.Testing.Containers;
using RabbitHa.Testing.Xunit;
using Xunit;
using Xunit.Abstractions;

namespace RabbitHa.Chaos;

/// <summary>The shared cluster of the chaos suite; when the last scenario is done it prints the whole report.</summary>
public sealed class ChaosClusterFixture : RabbitHaClusterFixture, IAsyncLifetime
{
    private readonly IMessageSink _sink;

    public ChaosClusterFixture(IMessageSink messageSink)
        : base(messageSink)
    {
        _sink = messageSink;
    }

    /// <summary>With TLS beside plain AMQP, so that a scenario can run its workload over <c>amqps://</c> on the same cluster.</summary>
    protected override ContainerClusterBuilder Configure(ContainerClusterBuilder builder) => builder.WithTls();

    async Task IAsyncLifetime.DisposeAsync()
    {
        if (ChaosReport.Rows.Count > 0)
        {
            _sink.OnMessage(new Xunit.Sdk.DiagnosticMessage(
                $"Chaos report ({ChaosReport.Rows.Count} rows, also in {ChaosReport.FilePath}):{Environment.NewLine}{ChaosReport.ToMarkdown()}"));
        }

        await DisposeAsync();
    }
}
