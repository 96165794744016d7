using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Switchboard.Data.Postgres.Migrations
{
    /// <summary>Row-level security for knowledge_chunks; the SQL lives in Data/Postgres/Sql.</summary>
    public partial class KnowledgeChunksRowLevelSecurity : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql(PostgresSql.Read("003_knowledge_chunks_row_level_security.sql"));

        protected override void Down(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql(PostgresSql.Read("003_knowledge_chunks_row_level_security.down.sql"));
    }
}
