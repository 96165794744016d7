using Switchboard;
using Switchboard.Cli;

if (SwitchboardCli.IsCommand(args))
{
    return await SwitchboardCli.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(SwitchboardCli.ServeArgs(args));
// First of the hosted services: the others (indexing, AI replies) start on a migrated database.
builder.Services.AddHostedService<Switchboard.Data.DatabaseStartup>();
builder.AddSwitchboardServices();

var app = builder.Build();
app.UseSwitchboardPipeline();
app.MapSwitchboardEndpoints();
await app.RunAsync();
return 0;

namespace Switchboard
{
    /// <summary>Entry point marker for WebApplicationFactory in tests.</summary>
    public partial class Program;
}
