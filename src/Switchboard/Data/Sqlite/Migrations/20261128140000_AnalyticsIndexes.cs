using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Switchboard.Data.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class AnalyticsIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_session_escalations_organization_id_ended_at",
                table: "session_escalations",
                columns: new[] { "organization_id", "ended_at" });

            migrationBuilder.CreateIndex(
                name: "ix_session_escalations_session_id",
                table: "session_escalations",
                column: "session_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_session_escalations_organization_id_ended_at",
                table: "session_escalations");

            migrationBuilder.DropIndex(
                name: "ix_session_escalations_session_id",
                table: "session_escalations");
        }
    }
}
