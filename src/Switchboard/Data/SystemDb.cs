using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Data.Postgres;
using Switchboard.Data.Sqlite;
using Switchboard.Tenancy;

namespace Switchboard.Data;

/// <summary>
/// Contexts for trusted server work (migrations, demo data, background jobs) on the admin
/// connection. The caller has already authorized the work; nothing a client sends reaches here unchecked.
/// </summary>
public sealed class SystemDb(IOptions<DatabaseOptions> options)
{
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
