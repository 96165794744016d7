using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Switchboard.Data.Postgres.Migrations
{
    /// <summary>The seed's row-level-security policies; the SQL lives in Data/Postgres/Sql.</summary>
    public partial class RowLevelSecurity : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql(PostgresSql.Read("001_row_level_security.sql"));

        protected override void Down(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql(PostgresSql.Read("001_row_level_security.down.sql"));
    }
}
