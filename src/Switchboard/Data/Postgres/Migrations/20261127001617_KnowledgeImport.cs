using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Switchboard.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class KnowledgeImport : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "source_hash",
                table: "ai_knowledge_base",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "source_uri",
                table: "ai_knowledge_base",
                type: "character varying(2048)",
                maxLength: 2048,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "knowledge_import_jobs",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false, defaultValueSql: "gen_random_uuid()"),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    kind = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    source = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false, defaultValue: "queued"),
                    found = table.Column<int>(type: "integer", nullable: false),
                    created = table.Column<int>(type: "integer", nullable: false),
                    updated = table.Column<int>(type: "integer", nullable: false),
                    unchanged = table.Column<int>(type: "integer", nullable: false),
                    failed = table.Column<int>(type: "integer", nullable: false),
                    passages_total = table.Column<int>(type: "integer", nullable: false),
                    passages_embedded = table.Column<int>(type: "integer", nullable: false),
                    error = table.Column<string>(type: "text", nullable: true),
                    warnings = table.Column<string>(type: "text", nullable: true),
                    created_by = table.Column<Guid>(type: "uuid", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_knowledge_import_jobs", x => x.id);
                    table.CheckConstraint("ck_knowledge_import_jobs_status", "status IN ('queued', 'running', 'succeeded', 'failed')");
                    table.ForeignKey(
                        name: "fk_knowledge_import_jobs_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_knowledge_import_jobs_users_created_by",
                        column: x => x.created_by,
                        principalSchema: "auth",
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateIndex(
                name: "idx_ai_knowledge_base_org_source_uri",
                table: "ai_knowledge_base",
                columns: new[] { "organization_id", "source_uri" },
                unique: true,
                filter: "source_uri IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_knowledge_import_jobs_created_by",
                table: "knowledge_import_jobs",
                column: "created_by");

            migrationBuilder.CreateIndex(
                name: "ix_knowledge_import_jobs_organization_id_created_at",
                table: "knowledge_import_jobs",
                columns: new[] { "organization_id", "created_at" });

            migrationBuilder.Sql(PostgresSql.Read("005_knowledge_import_row_level_security.sql"));
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(PostgresSql.Read("005_knowledge_import_row_level_security.down.sql"));

            migrationBuilder.DropTable(
                name: "knowledge_import_jobs");

            migrationBuilder.DropIndex(
                name: "idx_ai_knowledge_base_org_source_uri",
                table: "ai_knowledge_base");

            migrationBuilder.DropColumn(
                name: "source_hash",
                table: "ai_knowledge_base");

            migrationBuilder.DropColumn(
                name: "source_uri",
                table: "ai_knowledge_base");
        }
    }
}
