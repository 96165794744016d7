using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Switchboard.Data.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class AnalyticsCsat : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "trigger",
                table: "session_escalations",
                type: "TEXT",
                maxLength: 20,
                nullable: false,
                defaultValue: "rule");

            migrationBuilder.CreateTable(
                name: "session_csat",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    session_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    score = table.Column<int>(type: "INTEGER", nullable: false),
                    comment = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    agent_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_session_csat", x => x.id);
                    table.CheckConstraint("ck_session_csat_score", "score BETWEEN 1 AND 5");
                    table.ForeignKey(
                        name: "fk_session_csat_chatbot_sessions_session_id",
                        column: x => x.session_id,
                        principalTable: "chatbot_sessions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_session_csat_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_session_csat_users_agent_id",
                        column: x => x.agent_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.AddCheckConstraint(
                name: "ck_session_escalations_trigger",
                table: "session_escalations",
                sql: "trigger IN ('rule', 'customer', 'agent')");

            // Duplicate agent-days (never written by the application before this migration) give way to the newest:
            // the figures are rebuildable (switchboard analytics rebuild).
            migrationBuilder.Sql("DELETE FROM agent_analytics WHERE EXISTS (SELECT 1 FROM agent_analytics b WHERE b.agent_id = agent_analytics.agent_id AND b.organization_id = agent_analytics.organization_id AND b.date = agent_analytics.date AND b.id > agent_analytics.id);");

            migrationBuilder.CreateIndex(
                name: "ux_agent_analytics_agent_org_date",
                table: "agent_analytics",
                columns: new[] { "agent_id", "organization_id", "date" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_session_csat_agent_id",
                table: "session_csat",
                column: "agent_id");

            migrationBuilder.CreateIndex(
                name: "ix_session_csat_organization_id_created_at",
                table: "session_csat",
                columns: new[] { "organization_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_session_csat_session_id",
                table: "session_csat",
                column: "session_id",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "session_csat");

            migrationBuilder.DropCheckConstraint(
                name: "ck_session_escalations_trigger",
                table: "session_escalations");

            migrationBuilder.DropIndex(
                name: "ux_agent_analytics_agent_org_date",
                table: "agent_analytics");

            migrationBuilder.DropColumn(
                name: "trigger",
                table: "session_escalations");
        }
    }
}
