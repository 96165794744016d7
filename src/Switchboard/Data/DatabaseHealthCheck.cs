using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Switchboard.Data;

/// <summary>Ready when the request path reaches the database and no migration is pending.</summary>
public sealed class DatabaseHealthCheck(AppDbContext db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            if (!await db.Database.CanConnectAsync(cancellationToken))
            {
                return HealthCheckResult.Unhealthy("The database cannot be reached; check ConnectionStrings:Switchboard.");
            }
            // The request role may not read the migrations history on PostgreSQL; a query on a
            // migrated table proves the schema is there.
            await db.Organizations.AsNoTracking().AnyAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"The database is not ready: {e.Message}. Run `switchboard migrate`.");
        }
    }
}
