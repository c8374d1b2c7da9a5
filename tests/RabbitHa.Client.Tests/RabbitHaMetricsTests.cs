using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using RabbitHa.Client.Internal.Diagnostics;

namespace RabbitHa.Client.Tests;

[Trait("Category", "Unit")]
public sealed class RabbitHaMetricsTests
{
    [Fact]
    public void Instruments_ArePublishedOnTheRabbitHaMeter()
    {
        var seen = new List<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == RabbitHaDiagnostics.MeterName)
            {
                lock (seen)
                {
                    seen.Add(instrument.Name);
                }
            }
        };
        listener.Start();

        using var metrics = new RabbitHaMetrics();

        Assert.Contains(RabbitHaDiagnostics.ConnectionLossesInstrument, seen);
        Assert.Contains(RabbitHaDiagnostics.ConnectionRecoveriesInstrument, seen);
        Assert.Contains(RabbitHaDiagnostics.ConnectionRecoveryFailuresInstrument, seen);
        Assert.Contains(RabbitHaDiagnostics.OpenConnectionsInstrument, seen);
        Assert.Contains(RabbitHaDiagnostics.BlockedDurationInstrument, seen);
        Assert.Contains(RabbitHaDiagnostics.TopologyRefusalsInstrument, seen);
    }

    [Fact]
    public void BlockedFor_RecordsSecondsWithConnectionName()
    {
        using var metrics = new RabbitHaMetrics();
        double? recorded = null;
        object? name = null;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter) && instrument.Name == RabbitHaDiagnostics.BlockedDurationInstrument)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            recorded = value;
            name = tags.ToArray().Single(t => t.Key == "rabbitha.connection.name").Value;
        });
        listener.Start();

        metrics.BlockedFor(TimeSpan.FromMilliseconds(1500), "orders-api");

        Assert.Equal(1.5, recorded);
        Assert.Equal("orders-api", name);
    }

    [Fact]
    public void Constructor_WhenMeterFactoryGiven_CreatesMeterFromIt()
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        using ServiceProvider provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IMeterFactory>();

        using var metrics = new RabbitHaMetrics(factory);

        Assert.Same(factory, metrics.Meter.Scope);
        Assert.Equal(RabbitHaDiagnostics.MeterName, metrics.Meter.Name);
    }
}
