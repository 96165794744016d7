using Microsoft.Extensions.Options;
using Switchboard.Features.Organizations;

namespace Switchboard.Data;

/// <summary>Brings the database up to date before the server takes requests, then creates demo data on first run.</summary>
public sealed class DatabaseStartup(MigrationRunner migrations, DemoData demo, IOptions<DatabaseOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.MigrateOnStartup)
        {
            await migrations.MigrateAsync(cancellationToken);
        }
        await migrations.VerifyRequestRoleAsync(cancellationToken);
        if (options.Value.SeedDemoData)
        {
            await demo.SeedIfEmptyAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
