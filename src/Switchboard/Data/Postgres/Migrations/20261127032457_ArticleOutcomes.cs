using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Switchboard.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class ArticleOutcomes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "knowledge_article_outcomes",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false, defaultValueSql: "gen_random_uuid()"),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    article_id = table.Column<Guid>(type: "uuid", nullable: false),
                    session_id = table.Column<Guid>(type: "uuid", nullable: false),
                    message_id = table.Column<Guid>(type: "uuid", nullable: true),
                    kind = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    positive = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_knowledge_article_outcomes", x => x.id);
                    table.CheckConstraint("ck_knowledge_article_outcomes_kind", "(kind = 'feedback' AND message_id IS NOT NULL) OR (kind = 'session' AND message_id IS NULL)");
                    table.ForeignKey(
                        name: "fk_knowledge_article_outcomes_ai_knowledge_base_article_id",
                        column: x => x.article_id,
                        principalTable: "ai_knowledge_base",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_knowledge_article_outcomes_chatbot_conversations_message_id",
                        column: x => x.message_id,
                        principalTable: "chatbot_conversations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_knowledge_article_outcomes_chatbot_sessions_session_id",
                        column: x => x.session_id,
                        principalTable: "chatbot_sessions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_knowledge_article_outcomes_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_knowledge_article_outcomes_article_id_organization_id",
                table: "knowledge_article_outcomes",
                columns: new[] { "article_id", "organization_id" });

            migrationBuilder.CreateIndex(
                name: "ix_knowledge_article_outcomes_organization_id",
                table: "knowledge_article_outcomes",
                column: "organization_id");

            migrationBuilder.CreateIndex(
                name: "ux_knowledge_article_outcomes_feedback",
                table: "knowledge_article_outcomes",
                columns: new[] { "message_id", "article_id" },
                unique: true,
                filter: "kind = 'feedback'");

            migrationBuilder.CreateIndex(
                name: "ux_knowledge_article_outcomes_session",
                table: "knowledge_article_outcomes",
                columns: new[] { "session_id", "article_id" },
                unique: true,
                filter: "kind = 'session'");

            migrationBuilder.Sql(PostgresSql.Read("007_article_outcomes_row_level_security.sql"));
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(PostgresSql.Read("007_article_outcomes_row_level_security.down.sql"));

            migrationBuilder.DropTable(
                name: "knowledge_article_outcomes");
        }
    }
}
