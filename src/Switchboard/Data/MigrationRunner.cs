using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Switchboard.Data;

/// <summary>
/// Applies migrations as the owner and, on PostgreSQL, makes sure the request path's login role
/// exists, belongs to switchboard_app and cannot bypass row-level security.
/// </summary>
public sealed class MigrationRunner(SystemDb systemDb, IOptions<DatabaseOptions> options, ILogger<MigrationRunner> logger)
{
    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        var db = options.Value;
        if (db.Provider == DatabaseProvider.Sqlite)
        {
            EnsureSqliteDirectory(db.AdminConnectionString);
        }
        else
        {
            RequirePostgresConnectionStrings(db);
            RequireSeparateRoles(db);
        }

        await using (var context = systemDb.CreateContext())
        {
            var pending = (await context.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            foreach (var migration in pending)
            {
                logger.LogInformation("Applying migration {Migration}", migration);
            }
            await context.Database.MigrateAsync(cancellationToken);
            if (db.Provider == DatabaseProvider.Sqlite)
            {
                await context.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            }
            logger.LogInformation("Database is up to date ({Count} migrations applied now)", pending.Count);
        }

        if (db.Provider == DatabaseProvider.Postgres)
        {
            await ProvisionRequestRoleAsync(db, cancellationToken);
        }
    }

    /// <summary>Refuses to serve when the request path could read past the policies.</summary>
    public async Task VerifyRequestRoleAsync(CancellationToken cancellationToken = default)
    {
        var db = options.Value;
        if (db.Provider != DatabaseProvider.Postgres)
        {
            return;
        }
        RequirePostgresConnectionStrings(db);
        await using var connection = new NpgsqlConnection(db.RequestConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidAuthorizationSpecification or PostgresErrorCodes.InvalidPassword)
        {
            throw new InvalidOperationException(
                $"The request-path role cannot sign in ({e.MessageText}). If it does not exist yet, run `switchboard migrate`, which creates it " +
                "from ConnectionStrings:Switchboard; if it exists, check the password in ConnectionStrings:Switchboard.", e);
        }
        await using var command = new NpgsqlCommand(
            """
            SELECT r.rolsuper, r.rolbypassrls,
                   pg_has_role(current_user, 'switchboard_system', 'MEMBER'),
                   pg_has_role(current_user, 'switchboard_app', 'MEMBER'),
                   EXISTS (SELECT 1 FROM pg_tables t WHERE t.schemaname = 'public' AND t.tablename = 'chatbot_sessions' AND t.tableowner = current_user)
            FROM pg_roles r WHERE r.rolname = current_user
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var problems = new List<string>();
        if (reader.GetBoolean(0)) problems.Add("is a superuser");
        if (reader.GetBoolean(1)) problems.Add("has BYPASSRLS");
        if (reader.GetBoolean(2)) problems.Add("is a member of switchboard_system");
        if (!reader.GetBoolean(3)) problems.Add("is not a member of switchboard_app");
        if (reader.GetBoolean(4)) problems.Add("owns the tables");
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(
                $"The request-path role '{connection.UserName}' (ConnectionStrings:Switchboard) {string.Join(", ", problems)}, " +
                "so row-level security would not protect tenants. Point ConnectionStrings:Switchboard at a plain login role " +
                "and run `switchboard migrate`, which creates it in switchboard_app when it does not exist.");
        }
    }

    private async Task ProvisionRequestRoleAsync(DatabaseOptions db, CancellationToken cancellationToken)
    {
        var request = new NpgsqlConnectionStringBuilder(db.RequestConnectionString);

        await using var connection = new NpgsqlConnection(db.AdminConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var existing = new NpgsqlCommand(
            "SELECT rolsuper OR rolbypassrls OR pg_has_role(rolname, 'switchboard_system', 'MEMBER') FROM pg_roles WHERE rolname = @name", connection);
        existing.Parameters.AddWithValue("name", request.Username ?? "");
        var privileged = await existing.ExecuteScalarAsync(cancellationToken);
        if (privileged is true)
        {
            // Never hand the request-path group to a role that would read past the policies anyway.
            throw new InvalidOperationException(
                $"The request-path role '{request.Username}' (ConnectionStrings:Switchboard) is a superuser, has BYPASSRLS or is a member of " +
                "switchboard_system, so row-level security would not protect tenants. Use a plain login role; `migrate` creates it when it does not exist.");
        }
        var sql = privileged is false
            ? "SELECT format('GRANT switchboard_app TO %I', @name)"
            : "SELECT format('CREATE ROLE %I LOGIN PASSWORD %L NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE IN ROLE switchboard_app', @name, @password)";
        await using var build = new NpgsqlCommand(sql, connection);
        build.Parameters.AddWithValue("name", request.Username ?? "");
        build.Parameters.AddWithValue("password", request.Password ?? "");
        var statement = (string)(await build.ExecuteScalarAsync(cancellationToken))!;
        await using var apply = new NpgsqlCommand(statement, connection);
        await apply.ExecuteNonQueryAsync(cancellationToken);
        logger.LogInformation("Request-path role {Role} is a member of switchboard_app", request.Username);
    }

    private static void RequirePostgresConnectionStrings(DatabaseOptions db)
    {
        if (string.IsNullOrWhiteSpace(db.RequestConnectionString) || string.IsNullOrWhiteSpace(db.AdminConnectionString))
        {
            throw new InvalidOperationException(
                "Database:Provider is Postgres: set ConnectionStrings:Switchboard (the request path's login role) and " +
                "ConnectionStrings:SwitchboardAdmin (the owner that applies migrations), e.g. ConnectionStrings__Switchboard=" +
                "\"Host=127.0.0.1;Database=switchboard;Username=switchboard_web;Password=...\".");
        }
    }

    // Checked before any migration runs, so a misconfiguration changes nothing.
    private static void RequireSeparateRoles(DatabaseOptions db)
    {
        var request = new NpgsqlConnectionStringBuilder(db.RequestConnectionString);
        var admin = new NpgsqlConnectionStringBuilder(db.AdminConnectionString);
        if (string.Equals(request.Username, admin.Username, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                "ConnectionStrings:Switchboard and ConnectionStrings:SwitchboardAdmin use the same role. " +
                "The request path needs its own login role (for example switchboard_web) so that row-level security applies.");
        }
    }

    private static void EnsureSqliteDirectory(string connectionString)
    {
        var path = new SqliteConnectionStringBuilder(connectionString).DataSource;
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory) && path != ":memory:")
        {
            Directory.CreateDirectory(directory);
        }
    }
}
