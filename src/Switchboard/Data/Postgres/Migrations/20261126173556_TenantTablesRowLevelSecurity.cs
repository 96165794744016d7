using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Switchboard.Data.Postgres.Migrations
{
    /// <summary>Row-level security for organizations, memberships and accounts; the SQL lives in Data/Postgres/Sql.</summary>
    public partial class TenantTablesRowLevelSecurity : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql(PostgresSql.Read("002_tenant_tables_row_level_security.sql"));

        protected override void Down(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql(PostgresSql.Read("002_tenant_tables_row_level_security.down.sql"));
    }
}
