using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Data;

namespace Switchboard.Tests.Infrastructure;

/// <summary>
/// The real server in-process on a real database. Subclasses pick the provider; everything else
/// (migrations at start-up, authentication, both walls) is what production runs.
/// </summary>
public abstract class SwitchboardFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    private readonly string _keys = Directory.CreateTempSubdirectory("switchboard-keys-").FullName;
    private Dictionary<string, string?> _settings = [];

    public abstract string ProviderName { get; }

    /// <summary>Configuration for the database: provider and connection strings.</summary>
    protected abstract Task<Dictionary<string, string?>> DatabaseSettingsAsync();

    public async ValueTask InitializeAsync()
    {
        _settings = await DatabaseSettingsAsync();
        _settings["Database:SeedDemoData"] = "false";
        _settings["DataProtection:KeysPath"] = _keys;
        // The AI's background replies would write messages while a test compares the tables before and
        // after a request; tests of the AI's replies switch it back on in Configure.
        _settings["Ai:AutoReply"] = "false";
        // Likewise the answer-test runs a knowledge change starts 5 s later; AnswerTestsTests switch them back on.
        _settings["Knowledge:AnswerTests:AutoRun"] = "false";
        Configure(_settings);
        _ = Server; // starts the host: migrations run in DatabaseStartup
    }

    /// <summary>More settings for a test's server, e.g. low rate limits.</summary>
    protected virtual void Configure(Dictionary<string, string?> settings)
    {
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // UseSetting is visible while Program registers services, unlike ConfigureAppConfiguration.
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public AppDbContext SystemContext() => Services.GetRequiredService<SystemDb>().CreateContext();

    /// <summary>A client signed in with a bearer token from POST /api/auth/token.</summary>
    public async Task<HttpClient> ClientForAsync(string email, string password)
    {
        var client = CreateClient();
        var response = await client.PostAsJsonAsync("/api/auth/token", new { email, password });
        response.EnsureSuccessStatusCode();
        var token = await response.Content.ReadFromJsonAsync<TokenResponse>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token!.AccessToken);
        return client;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
        try { Directory.Delete(_keys, recursive: true); } catch (IOException) { }
    }

    private sealed record TokenResponse(string AccessToken);
}

/// <summary>SQLite in a temporary file, as `dotnet run` uses it.</summary>
public class SqliteFactory : SwitchboardFactory
{
    private readonly string _directory;
    private readonly bool _ownsDirectory;

    public SqliteFactory()
    {
        _directory = Directory.CreateTempSubdirectory("switchboard-sqlite-").FullName;
        _ownsDirectory = true;
    }

    /// <summary>A second server on the database file of <paramref name="sameDatabase"/>, e.g. the same data after a restart.</summary>
    public SqliteFactory(SqliteFactory sameDatabase)
    {
        _directory = sameDatabase._directory;
        _ownsDirectory = false;
    }

    public override string ProviderName => "Sqlite";

    protected override Task<Dictionary<string, string?>> DatabaseSettingsAsync() => Task.FromResult(new Dictionary<string, string?>
    {
        ["Database:Provider"] = "Sqlite",
        ["ConnectionStrings:Switchboard"] = $"Data Source={Path.Combine(_directory, "switchboard.db")}",
    });

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_ownsDirectory)
        {
            try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
        }
    }
}

/// <summary>
/// PostgreSQL with the seed's row-level security: the server runs as the request-path role
/// (switchboard_web), migrations and trusted work as the owner.
/// </summary>
public class PostgresFactory : SwitchboardFactory
{
    private readonly PostgresFactory? _sameDatabase;
    private Dictionary<string, string?>? _settings;

    public PostgresFactory()
    {
    }

    /// <summary>A second server (another node) on the database of <paramref name="sameDatabase"/>, which must be initialized.</summary>
    public PostgresFactory(PostgresFactory sameDatabase) => _sameDatabase = sameDatabase;

    public override string ProviderName => "Postgres";

    protected override async Task<Dictionary<string, string?>> DatabaseSettingsAsync()
    {
        if (_sameDatabase is not null) return new Dictionary<string, string?>(_sameDatabase._settings!);
        // Migrated up front, one database at a time: migrations create cluster-wide roles.
        var database = await PostgresMigrations.CreateMigratedDatabaseAsync("http");
        _settings = new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Postgres",
            ["Database:MigrateOnStartup"] = "false",
            // Many servers share one test cluster (max_connections 200): each keeps its pools small.
            ["ConnectionStrings:Switchboard"] = Bounded(database.RequestConnectionString),
            ["ConnectionStrings:SwitchboardAdmin"] = Bounded(database.AdminConnectionString),
        };
        return new Dictionary<string, string?>(_settings);
    }

    private static string Bounded(string connectionString) =>
        new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 25, ConnectionIdleLifetime = 10 }.ConnectionString;

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
        if (_settings is not null && _sameDatabase is null)
        {
            // Close this server's idle connections now rather than after the pool's idle lifetime.
            foreach (var key in new[] { "ConnectionStrings:Switchboard", "ConnectionStrings:SwitchboardAdmin" })
            {
                await using var connection = new Npgsql.NpgsqlConnection(_settings[key]);
                Npgsql.NpgsqlConnection.ClearPool(connection);
            }
        }
    }
}
