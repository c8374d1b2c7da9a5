// Handles the orders the Producer sample publishes, printing each one. Start the cluster first
// (bash eng/cluster.sh up); Ctrl+C stops it gracefully: running handlers finish and are acknowledged.
//
//   dotnet run --project samples/Consumer
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitHa.Client;
using RabbitHa.Samples.Consumer;

HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory, // appsettings.json beside the program, wherever it is started from
});

builder.Services
    .AddRabbitHa(builder.Configuration.GetSection("RabbitHa")) // connection, topology (the "orders" queue), health check
    .AddConsumer<OrderPlacedHandler>("orders");
// The consumer's options are named after its queue: bind them from RabbitHa:Consumers:orders.
builder.Services.Configure<RabbitHaConsumerOptions>("orders", builder.Configuration.GetSection("RabbitHa:Consumers:orders"));

await builder.Build().RunAsync();
