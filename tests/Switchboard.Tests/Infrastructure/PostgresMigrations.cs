using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Switchboard.Data;

namespace Switchboard.Tests.Infrastructure;

/// <summary>Databases brought up to date the way <c>switchboard migrate</c> does it.</summary>
public static class PostgresMigrations
{
    // The migrations create cluster-wide roles (switchboard_app, switchboard_system, switchboard_web)
    // with IF NOT EXISTS checks that race when two databases migrate at once.
    private static readonly SemaphoreSlim MigrationLock = new(1, 1);

    /// <summary>
    /// Creates a database and applies Switchboard's migrations with the real <see cref="MigrationRunner"/>,
    /// which also provisions the request role. Skips the calling test when PostgreSQL is unavailable
    /// (see <see cref="PostgresServer.RequireAsync"/>).
    /// </summary>
    public static async Task<PostgresDatabase> CreateMigratedDatabaseAsync(string prefix)
    {
        var server = await PostgresServer.RequireAsync();
        var database = await server.CreateDatabaseAsync(prefix);
        await MigrateAsync(server, database);
        return database;
    }

    internal static async Task MigrateAsync(PostgresServer server, PostgresDatabase database)
    {
        await MigrationLock.WaitAsync();
        try
        {
            // Another test process may be migrating on the same server (a shared SWITCHBOARD_TEST_POSTGRES).
            // Advisory locks are per database, so all processes take it in 'postgres'.
            await using var guard = new NpgsqlConnection(server.SuperuserConnectionString);
            await guard.OpenAsync();
            await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(hashtext('switchboard-tests-migrations'))", guard))
            {
                await take.ExecuteNonQueryAsync();
            }
            try
            {
                using var host = BuildHost(database);
                await host.Services.GetRequiredService<MigrationRunner>().MigrateAsync();
            }
            finally
            {
                await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtext('switchboard-tests-migrations'))", guard);
                await release.ExecuteNonQueryAsync();
            }
        }
        finally
        {
            MigrationLock.Release();
        }
    }

    /// <summary>
    /// Switchboard's own service registrations on PostgreSQL, for <paramref name="database"/>.
    /// The request path uses <paramref name="requestConnectionString"/> when given.
    /// </summary>
    internal static IHost BuildHost(PostgresDatabase database, string? requestConnectionString = null)
    {
        // The empty builder reads no appsettings and watches no files: nothing from the developer's
        // environment leaks in, and many hosts in one run do not exhaust inotify instances.
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = nameof(DatabaseProvider.Postgres),
            ["Database:SeedDemoData"] = "false",
            ["ConnectionStrings:Switchboard"] = requestConnectionString ?? database.RequestConnectionString,
            ["ConnectionStrings:SwitchboardAdmin"] = database.AdminConnectionString,
        });
        builder.AddSwitchboardServices();
        return builder.Build();
    }
}
