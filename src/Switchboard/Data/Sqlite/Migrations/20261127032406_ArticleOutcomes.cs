using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Switchboard.Data.Sqlite.Migrations
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
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    article_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    session_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    message_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    kind = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    positive = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
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
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "knowledge_article_outcomes");
        }
    }
}
