// Publishes an order every 1/MessagesPerSecond seconds through HAProxy and logs, every second, how many the
// cluster has confirmed. Start the cluster first (bash eng/cluster.sh up); Ctrl+C stops it gracefully.
//
//   dotnet run --project samples/Producer
//   dotnet run --project samples/Producer -- --Producer:MessagesPerSecond=200
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitHa.Samples.Producer;

HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory, // appsettings.json beside the program, wherever it is started from
});

builder.Services
    .AddRabbitHa(builder.Configuration.GetSection("RabbitHa")) // connection, topology (the "orders" queue), health check
    .AddPublisher(builder.Configuration.GetSection("RabbitHa:Publisher"));
builder.Services.AddOptions<ProducerOptions>().Bind(builder.Configuration.GetSection("Producer"));
builder.Services.AddHostedService<OrderProducer>();

await builder.Build().RunAsync();
