using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Switchboard.Data.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class AnswerTests : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "knowledge_answer_test_runs",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    trigger = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    started_at = table.Column<long>(type: "INTEGER", nullable: true),
                    finished_at = table.Column<long>(type: "INTEGER", nullable: true),
                    questions = table.Column<int>(type: "INTEGER", nullable: false),
                    answer_accuracy = table.Column<double>(type: "REAL", nullable: true),
                    recall_at_5 = table.Column<double>(type: "REAL", nullable: true),
                    mrr = table.Column<double>(type: "REAL", nullable: true),
                    no_answer_precision = table.Column<double>(type: "REAL", nullable: true),
                    no_answer_recall = table.Column<double>(type: "REAL", nullable: true),
                    overall_accuracy = table.Column<double>(type: "REAL", nullable: true),
                    latency_p50_ms = table.Column<long>(type: "INTEGER", nullable: true),
                    latency_p95_ms = table.Column<long>(type: "INTEGER", nullable: true),
                    results = table.Column<string>(type: "TEXT", nullable: false),
                    regressions = table.Column<string>(type: "TEXT", nullable: false),
                    error = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_knowledge_answer_test_runs", x => x.id);
                    table.CheckConstraint("ck_knowledge_answer_test_runs_status", "status IN ('queued', 'running', 'completed', 'failed')");
                    table.CheckConstraint("ck_knowledge_answer_test_runs_trigger", "trigger IN ('manual', 'knowledge_change')");
                    table.ForeignKey(
                        name: "fk_knowledge_answer_test_runs_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "knowledge_answer_tests",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    question = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    expected_article_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    expect = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false, defaultValue: "answer"),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_knowledge_answer_tests", x => x.id);
                    table.CheckConstraint("ck_knowledge_answer_tests_expect", "expect IN ('answer', 'no_answer')");
                    table.ForeignKey(
                        name: "fk_knowledge_answer_tests_ai_knowledge_base_expected_article_id",
                        column: x => x.expected_article_id,
                        principalTable: "ai_knowledge_base",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_knowledge_answer_tests_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_knowledge_answer_test_runs_organization_id_created_at",
                table: "knowledge_answer_test_runs",
                columns: new[] { "organization_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_knowledge_answer_tests_expected_article_id",
                table: "knowledge_answer_tests",
                column: "expected_article_id");

            migrationBuilder.CreateIndex(
                name: "ix_knowledge_answer_tests_organization_id",
                table: "knowledge_answer_tests",
                column: "organization_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "knowledge_answer_test_runs");

            migrationBuilder.DropTable(
                name: "knowledge_answer_tests");
        }
    }
}
