using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Switchboard.Data;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Postgres;

/// <summary><c>switchboard migrate</c> on PostgreSQL, and the start-up check that refuses a privileged request role.</summary>
public sealed class MigrationRunnerTests(MigrationRunnerTests.Database fixture) : IClassFixture<MigrationRunnerTests.Database>
{
    public sealed class Database
    {
        private readonly Lazy<Task<PostgresDatabase>> _database = new(() => PostgresMigrations.CreateMigratedDatabaseAsync("migrations"));

        public async Task<(PostgresServer Server, PostgresDatabase Database)> GetAsync()
        {
            var server = await PostgresServer.RequireAsync();
            return (server, await _database.Value);
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MigrateProvisionsTheRequestRoleAsAPlainMemberOfSwitchboardApp()
    {
        var (_, db) = await fixture.GetAsync();
        await using var connection = new NpgsqlConnection(db.AdminConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(
            """
            SELECT r.rolcanlogin, r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb,
                   pg_has_role(r.oid, 'switchboard_app', 'MEMBER'), pg_has_role(r.oid, 'switchboard_system', 'MEMBER')
            FROM pg_roles r WHERE r.rolname = 'switchboard_web'
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct), "migrate did not create switchboard_web");
        Assert.True(reader.GetBoolean(0), "switchboard_web cannot log in");
        Assert.False(reader.GetBoolean(1), "switchboard_web is a superuser");
        Assert.False(reader.GetBoolean(2), "switchboard_web has BYPASSRLS");
        Assert.False(reader.GetBoolean(3), "switchboard_web has CREATEROLE");
        Assert.False(reader.GetBoolean(4), "switchboard_web has CREATEDB");
        Assert.True(reader.GetBoolean(5), "switchboard_web is not a member of switchboard_app");
        Assert.False(reader.GetBoolean(6), "switchboard_web is a member of switchboard_system");
    }

    [Fact]
    public async Task MigrationsRunAsAnOwnerThatIsNotASuperuser()
    {
        var (_, db) = await fixture.GetAsync();
        await using var connection = new NpgsqlConnection(db.AdminConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(
            """
            SELECT r.rolsuper, r.rolbypassrls,
                   (SELECT count(*) FROM pg_tables t WHERE t.schemaname = 'public' AND t.tablename = 'chatbot_sessions' AND t.tableowner = current_user)
            FROM pg_roles r WHERE r.rolname = current_user
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        await reader.ReadAsync(Ct);
        Assert.False(reader.GetBoolean(0));
        Assert.False(reader.GetBoolean(1));
        Assert.Equal(1L, reader.GetInt64(2));
    }

    [Fact]
    public async Task MigrateAgainChangesNothingAndSucceeds()
    {
        var (server, db) = await fixture.GetAsync();
        await PostgresMigrations.MigrateAsync(server, db);

        await using var connection = new NpgsqlConnection(db.AdminConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("""SELECT count(*) FROM "__EFMigrationsHistory" """, connection);
        var known = typeof(Switchboard.Data.Postgres.PostgresAppDbContext).Assembly.GetTypes()
            .Count(t => t.Namespace == "Switchboard.Data.Postgres.Migrations" && t.IsSubclassOf(typeof(Microsoft.EntityFrameworkCore.Migrations.Migration)));
        Assert.Equal((long)known, await command.ExecuteScalarAsync(Ct));
    }

    [Fact]
    public async Task VerifyRequestRoleAcceptsTheProvisionedRequestRole()
    {
        var (_, db) = await fixture.GetAsync();
        await Runner(db, db.RequestConnectionString).VerifyRequestRoleAsync(Ct);
    }

    [Fact]
    public async Task VerifyRequestRoleRefusesASuperuser()
    {
        var (server, db) = await fixture.GetAsync();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => Runner(db, server.SuperuserConnectionStringFor(db.Name)).VerifyRequestRoleAsync(Ct));
        Assert.Contains("is a superuser", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyRequestRoleRefusesTheOwner()
    {
        var (_, db) = await fixture.GetAsync();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => Runner(db, db.AdminConnectionString).VerifyRequestRoleAsync(Ct));
        Assert.Contains("owns the tables", error.Message, StringComparison.Ordinal);
        Assert.Contains("is a member of switchboard_system", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MigrateRefusesARequestRoleThatIsTheOwner()
    {
        var (_, db) = await fixture.GetAsync();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => Runner(db, db.AdminConnectionString).MigrateAsync(Ct));
        Assert.Contains("use the same role", error.Message, StringComparison.Ordinal);
    }

    private static MigrationRunner Runner(PostgresDatabase db, string requestConnectionString)
    {
        var options = Options.Create(new DatabaseOptions
        {
            Provider = DatabaseProvider.Postgres,
            RequestConnectionString = requestConnectionString,
            AdminConnectionString = db.AdminConnectionString,
        });
        return new MigrationRunner(new SystemDb(options), options, NullLogger<MigrationRunner>.Instance);
    }
}
