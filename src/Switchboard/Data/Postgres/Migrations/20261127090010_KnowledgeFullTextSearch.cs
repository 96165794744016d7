using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Switchboard.Data.Postgres.Migrations
{
    /// <summary>knowledge_chunks.search_vector (generated tsvector) with a GIN index; the SQL lives in Data/Postgres/Sql.
    /// Not in the EF model: only FullTextSearch queries it.</summary>
    [DbContext(typeof(PostgresAppDbContext))]
    [Migration("20261127090010_KnowledgeFullTextSearch")]
    public partial class KnowledgeFullTextSearch : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql(PostgresSql.Read("006_knowledge_chunks_full_text.sql"));

        protected override void Down(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql(PostgresSql.Read("006_knowledge_chunks_full_text.down.sql"));
    }
}
