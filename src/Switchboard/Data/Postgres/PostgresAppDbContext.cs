using Microsoft.EntityFrameworkCore;
using Switchboard.Tenancy;

namespace Switchboard.Data.Postgres;

/// <summary>The production database. Owns the PostgreSQL migrations, including the row-level-security SQL.</summary>
public sealed class PostgresAppDbContext(DbContextOptions<PostgresAppDbContext> options, CurrentPrincipal principal)
    : AppDbContext(options, principal)
{
    protected override ProviderSql Sql => ProviderSql.Postgres;
}
