using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Switchboard.Data.Sqlite.Migrations
{
    /// <summary>Data only: the default escalation rules for every organization that has none (no model change).</summary>
    [DbContext(typeof(SqliteAppDbContext))]
    [Migration("20261128120000_DefaultEscalationRules")]
    public partial class DefaultEscalationRules : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql(Features.Escalation.DefaultEscalationRules.InsertForOrganizationsWithoutRulesSql(postgres: false));

        // The rules may have been edited since: they are the organization's own now, so going down keeps them.
        protected override void Down(MigrationBuilder migrationBuilder)
        {
        }
    }
}
