using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Switchboard.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class Escalations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "active_conversations",
                table: "organization_members",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "last_assigned_at",
                table: "organization_members",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "session_escalations",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false, defaultValueSql: "gen_random_uuid()"),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    session_id = table.Column<Guid>(type: "uuid", nullable: false),
                    rule_id = table.Column<Guid>(type: "uuid", nullable: true),
                    rule_name = table.Column<string>(type: "text", nullable: true),
                    reason = table.Column<string>(type: "text", nullable: false),
                    priority = table.Column<int>(type: "integer", nullable: false),
                    assignment_logic = table.Column<string>(type: "jsonb", nullable: false, defaultValueSql: "'{}'::jsonb"),
                    escalated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    assigned_agent_id = table.Column<Guid>(type: "uuid", nullable: true),
                    assigned_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ended_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    outcome = table.Column<string>(type: "text", nullable: true),
                    ended_by = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_session_escalations", x => x.id);
                    table.CheckConstraint("ck_session_escalations_outcome", "outcome IS NULL OR outcome IN ('resolved', 'handed_back')");
                    table.CheckConstraint("ck_session_escalations_priority", "priority BETWEEN 1 AND 5");
                    table.ForeignKey(
                        name: "fk_session_escalations_chatbot_sessions_session_id",
                        column: x => x.session_id,
                        principalTable: "chatbot_sessions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_session_escalations_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_session_escalations_users_assigned_agent_id",
                        column: x => x.assigned_agent_id,
                        principalSchema: "auth",
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "session_notes",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false, defaultValueSql: "gen_random_uuid()"),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    session_id = table.Column<Guid>(type: "uuid", nullable: false),
                    agent_id = table.Column<Guid>(type: "uuid", nullable: false),
                    content = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_session_notes", x => x.id);
                    table.ForeignKey(
                        name: "fk_session_notes_chatbot_sessions_session_id",
                        column: x => x.session_id,
                        principalTable: "chatbot_sessions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_session_notes_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_session_notes_users_agent_id",
                        column: x => x.agent_id,
                        principalSchema: "auth",
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "session_assignments",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false, defaultValueSql: "gen_random_uuid()"),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    session_id = table.Column<Guid>(type: "uuid", nullable: false),
                    escalation_id = table.Column<Guid>(type: "uuid", nullable: false),
                    agent_id = table.Column<Guid>(type: "uuid", nullable: false),
                    how = table.Column<string>(type: "text", nullable: false),
                    assigned_by = table.Column<Guid>(type: "uuid", nullable: true),
                    assigned_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    released_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    release_reason = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_session_assignments", x => x.id);
                    table.CheckConstraint("ck_session_assignments_how", "how IN ('auto', 'taken', 'manual')");
                    table.ForeignKey(
                        name: "fk_session_assignments_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_session_assignments_session_escalations_escalation_id",
                        column: x => x.escalation_id,
                        principalTable: "session_escalations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_session_assignments_users_agent_id",
                        column: x => x.agent_id,
                        principalSchema: "auth",
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.AddCheckConstraint(
                name: "ck_organization_members_active_conversations",
                table: "organization_members",
                sql: "active_conversations >= 0");

            migrationBuilder.CreateIndex(
                name: "ix_session_assignments_agent_id",
                table: "session_assignments",
                column: "agent_id");

            migrationBuilder.CreateIndex(
                name: "ix_session_assignments_escalation_id",
                table: "session_assignments",
                column: "escalation_id");

            migrationBuilder.CreateIndex(
                name: "ix_session_assignments_organization_id_assigned_at",
                table: "session_assignments",
                columns: new[] { "organization_id", "assigned_at" });

            migrationBuilder.CreateIndex(
                name: "ix_session_assignments_session_id_assigned_at",
                table: "session_assignments",
                columns: new[] { "session_id", "assigned_at" });

            migrationBuilder.CreateIndex(
                name: "ix_session_escalations_assigned_agent_id_ended_at",
                table: "session_escalations",
                columns: new[] { "assigned_agent_id", "ended_at" });

            migrationBuilder.CreateIndex(
                name: "ix_session_escalations_queue",
                table: "session_escalations",
                columns: new[] { "organization_id", "priority", "escalated_at" },
                filter: "ended_at IS NULL AND assigned_agent_id IS NULL");

            migrationBuilder.CreateIndex(
                name: "ux_session_escalations_open",
                table: "session_escalations",
                column: "session_id",
                unique: true,
                filter: "ended_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_session_notes_agent_id",
                table: "session_notes",
                column: "agent_id");

            migrationBuilder.CreateIndex(
                name: "ix_session_notes_organization_id",
                table: "session_notes",
                column: "organization_id");

            migrationBuilder.CreateIndex(
                name: "ix_session_notes_session_id_created_at",
                table: "session_notes",
                columns: new[] { "session_id", "created_at" });

            migrationBuilder.Sql(PostgresSql.Read("008_escalations_row_level_security.sql"));
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(PostgresSql.Read("008_escalations_row_level_security.down.sql"));

            migrationBuilder.DropTable(
                name: "session_assignments");

            migrationBuilder.DropTable(
                name: "session_notes");

            migrationBuilder.DropTable(
                name: "session_escalations");

            migrationBuilder.DropCheckConstraint(
                name: "ck_organization_members_active_conversations",
                table: "organization_members");

            migrationBuilder.DropColumn(
                name: "active_conversations",
                table: "organization_members");

            migrationBuilder.DropColumn(
                name: "last_assigned_at",
                table: "organization_members");
        }
    }
}
