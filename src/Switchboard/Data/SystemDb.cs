using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Data.Postgres;
using Switchboard.Data.Sqlite;
using Switchboard.Tenancy;

namespace Switchboard.Data;

public sealed record WidgetOrganization(Guid Id, string IdentitySecret, List<string> AllowedOrigins);

/// <summary>
/// Contexts for trusted server work on the admin connection: migrations, demo data, accounts
/// (Identity), the request's principal, widget-key lookups, and writes a caller was authorized for
/// by the application wall (docs/security.md lists each use). Nothing a client sends reaches here unchecked.
/// </summary>
public sealed class SystemDb(IOptions<DatabaseOptions> options)
{
    /// <summary>
    /// The organization behind a public widget key. Anonymous callers hold only this key, and
    /// verifying a customer's identity needs the secret, which no request-path principal may read.
    /// </summary>
    public async Task<WidgetOrganization?> OrganizationByWidgetKeyAsync(string widgetKey, CancellationToken ct)
    {
        await using var db = CreateContext();
        return await db.Organizations.AsNoTracking()
            .Where(o => o.WidgetKey == widgetKey)
            .Select(o => new WidgetOrganization(o.Id, o.IdentitySecret, o.AllowedOrigins))
            .SingleOrDefaultAsync(ct);
    }

    public AppDbContext CreateContext()
    {
        var db = options.Value;
        if (db.Provider == DatabaseProvider.Postgres)
        {
            var builder = new DbContextOptionsBuilder<PostgresAppDbContext>();
            DataServiceCollectionExtensions.ConfigurePostgres(builder, db.AdminConnectionString);
            return new PostgresAppDbContext(builder.Options, CurrentPrincipal.System());
        }
        var sqlite = new DbContextOptionsBuilder<SqliteAppDbContext>();
        DataServiceCollectionExtensions.ConfigureSqlite(sqlite, db.AdminConnectionString);
        return new SqliteAppDbContext(sqlite.Options, CurrentPrincipal.System());
    }
}
