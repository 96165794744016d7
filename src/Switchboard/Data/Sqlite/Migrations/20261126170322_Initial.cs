using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Switchboard.Data.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "organizations",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    slug = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    widget_key = table.Column<string>(type: "TEXT", nullable: false),
                    allowed_origins = table.Column<string>(type: "TEXT", nullable: false, defaultValueSql: "'[]'"),
                    time_zone = table.Column<string>(type: "TEXT", nullable: false, defaultValue: "UTC"),
                    identity_secret = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_organizations", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "users",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    display_name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    is_platform_admin = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    user_name = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    normalized_user_name = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    email = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    normalized_email = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    email_confirmed = table.Column<bool>(type: "INTEGER", nullable: false),
                    password_hash = table.Column<string>(type: "TEXT", nullable: true),
                    security_stamp = table.Column<string>(type: "TEXT", nullable: true),
                    concurrency_stamp = table.Column<string>(type: "TEXT", nullable: true),
                    phone_number = table.Column<string>(type: "TEXT", nullable: true),
                    phone_number_confirmed = table.Column<bool>(type: "INTEGER", nullable: false),
                    two_factor_enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    lockout_end = table.Column<long>(type: "INTEGER", nullable: true),
                    lockout_enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    access_failed_count = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_users", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "ai_knowledge_base",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    title = table.Column<string>(type: "TEXT", nullable: false),
                    content = table.Column<string>(type: "TEXT", nullable: false),
                    category = table.Column<string>(type: "TEXT", nullable: false, defaultValue: "general"),
                    tags = table.Column<string>(type: "TEXT", nullable: true, defaultValueSql: "'[]'"),
                    embeddings = table.Column<byte[]>(type: "BLOB", nullable: true),
                    embedding_model = table.Column<string>(type: "TEXT", nullable: true),
                    effectiveness_score = table.Column<double>(type: "REAL", nullable: true, defaultValue: 0.0),
                    usage_count = table.Column<int>(type: "INTEGER", nullable: true, defaultValue: 0),
                    is_active = table.Column<bool>(type: "INTEGER", nullable: true, defaultValue: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_ai_knowledge_base", x => x.id);
                    table.ForeignKey(
                        name: "fk_ai_knowledge_base_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id");
                });

            migrationBuilder.CreateTable(
                name: "escalation_rules",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    rule_name = table.Column<string>(type: "TEXT", nullable: false),
                    trigger_keywords = table.Column<string>(type: "TEXT", nullable: true, defaultValueSql: "'[]'"),
                    trigger_conditions = table.Column<string>(type: "TEXT", nullable: true, defaultValueSql: "'{}'"),
                    agent_assignment_logic = table.Column<string>(type: "TEXT", nullable: true, defaultValueSql: "'{}'"),
                    priority_level = table.Column<int>(type: "INTEGER", nullable: true, defaultValue: 1),
                    is_active = table.Column<bool>(type: "INTEGER", nullable: true, defaultValue: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_escalation_rules", x => x.id);
                    table.CheckConstraint("escalation_rules_priority_level_check", "priority_level BETWEEN 1 AND 5");
                    table.ForeignKey(
                        name: "fk_escalation_rules_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id");
                });

            migrationBuilder.CreateTable(
                name: "agent_analytics",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    agent_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    date = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    conversations_handled = table.Column<int>(type: "INTEGER", nullable: true, defaultValue: 0),
                    avg_resolution_time_minutes = table.Column<double>(type: "REAL", nullable: true, defaultValue: 0.0),
                    customer_satisfaction_score = table.Column<double>(type: "REAL", nullable: true, defaultValue: 0.0),
                    ai_escalations_received = table.Column<int>(type: "INTEGER", nullable: true, defaultValue: 0),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_agent_analytics", x => x.id);
                    table.ForeignKey(
                        name: "fk_agent_analytics_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id");
                    table.ForeignKey(
                        name: "fk_agent_analytics_users_agent_id",
                        column: x => x.agent_id,
                        principalTable: "users",
                        principalColumn: "id");
                });

            migrationBuilder.CreateTable(
                name: "chatbot_sessions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    user_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    session_token = table.Column<string>(type: "TEXT", nullable: false),
                    customer_context = table.Column<string>(type: "TEXT", nullable: true, defaultValueSql: "'{}'"),
                    ai_context = table.Column<string>(type: "TEXT", nullable: true, defaultValueSql: "'{}'"),
                    status = table.Column<string>(type: "TEXT", nullable: true, defaultValue: "active"),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_chatbot_sessions", x => x.id);
                    table.CheckConstraint("chatbot_sessions_status_check", "status IN ('active', 'escalated', 'resolved')");
                    table.ForeignKey(
                        name: "fk_chatbot_sessions_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id");
                    table.ForeignKey(
                        name: "fk_chatbot_sessions_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id");
                });

            migrationBuilder.CreateTable(
                name: "organization_members",
                columns: table => new
                {
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    user_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    role = table.Column<string>(type: "TEXT", nullable: false, defaultValue: "member"),
                    max_concurrent = table.Column<int>(type: "INTEGER", nullable: false, defaultValue: 3),
                    skills = table.Column<string>(type: "TEXT", nullable: false, defaultValueSql: "'[]'"),
                    availability = table.Column<string>(type: "TEXT", nullable: false, defaultValue: "offline"),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_organization_members", x => new { x.organization_id, x.user_id });
                    table.CheckConstraint("ck_organization_members_availability", "availability IN ('online', 'away', 'offline')");
                    table.CheckConstraint("ck_organization_members_max_concurrent", "max_concurrent >= 0");
                    table.CheckConstraint("ck_organization_members_role", "role IN ('member', 'agent', 'admin')");
                    table.ForeignKey(
                        name: "fk_organization_members_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_organization_members_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "user_claims",
                columns: table => new
                {
                    id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    user_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    claim_type = table.Column<string>(type: "TEXT", nullable: true),
                    claim_value = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_user_claims", x => x.id);
                    table.ForeignKey(
                        name: "fk_user_claims_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "user_logins",
                columns: table => new
                {
                    login_provider = table.Column<string>(type: "TEXT", nullable: false),
                    provider_key = table.Column<string>(type: "TEXT", nullable: false),
                    provider_display_name = table.Column<string>(type: "TEXT", nullable: true),
                    user_id = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_user_logins", x => new { x.login_provider, x.provider_key });
                    table.ForeignKey(
                        name: "fk_user_logins_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "user_tokens",
                columns: table => new
                {
                    user_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    login_provider = table.Column<string>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    value = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_user_tokens", x => new { x.user_id, x.login_provider, x.name });
                    table.ForeignKey(
                        name: "fk_user_tokens_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "chatbot_conversations",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    session_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    message_type = table.Column<string>(type: "TEXT", nullable: false),
                    content = table.Column<string>(type: "TEXT", nullable: false),
                    ai_metadata = table.Column<string>(type: "TEXT", nullable: true, defaultValueSql: "'{}'"),
                    agent_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    seq = table.Column<long>(type: "INTEGER", nullable: false),
                    client_message_id = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_chatbot_conversations", x => x.id);
                    table.CheckConstraint("chatbot_conversations_message_type_check", "message_type IN ('user', 'ai', 'agent', 'system')");
                    table.ForeignKey(
                        name: "fk_chatbot_conversations_chatbot_sessions_session_id",
                        column: x => x.session_id,
                        principalTable: "chatbot_sessions",
                        principalColumn: "id");
                    table.ForeignKey(
                        name: "fk_chatbot_conversations_users_agent_id",
                        column: x => x.agent_id,
                        principalTable: "users",
                        principalColumn: "id");
                });

            migrationBuilder.CreateIndex(
                name: "idx_agent_analytics_date_org",
                table: "agent_analytics",
                columns: new[] { "date", "organization_id" });

            migrationBuilder.CreateIndex(
                name: "ix_agent_analytics_agent_id",
                table: "agent_analytics",
                column: "agent_id");

            migrationBuilder.CreateIndex(
                name: "ix_agent_analytics_organization_id",
                table: "agent_analytics",
                column: "organization_id");

            migrationBuilder.CreateIndex(
                name: "idx_ai_knowledge_base_org_category",
                table: "ai_knowledge_base",
                columns: new[] { "organization_id", "category" },
                filter: "is_active = true");

            migrationBuilder.CreateIndex(
                name: "idx_chatbot_conversations_session",
                table: "chatbot_conversations",
                columns: new[] { "session_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_chatbot_conversations_agent_id",
                table: "chatbot_conversations",
                column: "agent_id");

            migrationBuilder.CreateIndex(
                name: "ix_chatbot_conversations_session_id_client_message_id",
                table: "chatbot_conversations",
                columns: new[] { "session_id", "client_message_id" },
                unique: true,
                filter: "client_message_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_chatbot_conversations_session_id_seq",
                table: "chatbot_conversations",
                columns: new[] { "session_id", "seq" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "idx_chatbot_sessions_org_user",
                table: "chatbot_sessions",
                columns: new[] { "organization_id", "user_id" });

            migrationBuilder.CreateIndex(
                name: "ix_chatbot_sessions_session_token",
                table: "chatbot_sessions",
                column: "session_token",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_chatbot_sessions_user_id",
                table: "chatbot_sessions",
                column: "user_id");

            migrationBuilder.CreateIndex(
                name: "ix_escalation_rules_organization_id",
                table: "escalation_rules",
                column: "organization_id");

            migrationBuilder.CreateIndex(
                name: "ix_organization_members_user_id",
                table: "organization_members",
                column: "user_id");

            migrationBuilder.CreateIndex(
                name: "ix_organizations_slug",
                table: "organizations",
                column: "slug",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_organizations_widget_key",
                table: "organizations",
                column: "widget_key",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_user_claims_user_id",
                table: "user_claims",
                column: "user_id");

            migrationBuilder.CreateIndex(
                name: "ix_user_logins_user_id",
                table: "user_logins",
                column: "user_id");

            migrationBuilder.CreateIndex(
                name: "EmailIndex",
                table: "users",
                column: "normalized_email");

            migrationBuilder.CreateIndex(
                name: "UserNameIndex",
                table: "users",
                column: "normalized_user_name",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "agent_analytics");

            migrationBuilder.DropTable(
                name: "ai_knowledge_base");

            migrationBuilder.DropTable(
                name: "chatbot_conversations");

            migrationBuilder.DropTable(
                name: "escalation_rules");

            migrationBuilder.DropTable(
                name: "organization_members");

            migrationBuilder.DropTable(
                name: "user_claims");

            migrationBuilder.DropTable(
                name: "user_logins");

            migrationBuilder.DropTable(
                name: "user_tokens");

            migrationBuilder.DropTable(
                name: "chatbot_sessions");

            migrationBuilder.DropTable(
                name: "organizations");

            migrationBuilder.DropTable(
                name: "users");
        }
    }
}
