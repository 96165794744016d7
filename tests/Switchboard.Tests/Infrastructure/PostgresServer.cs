using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Switchboard.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL server for the tests: the one named by <c>SWITCHBOARD_TEST_POSTGRES</c> (a superuser
/// connection string, as <c>.ci/run</c> provides), or else a throwaway cluster started from the
/// Debian binaries in a temporary directory and removed when the test process exits.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    internal const string EnvironmentVariable = "SWITCHBOARD_TEST_POSTGRES";
    internal const string BinDirectory = "/usr/lib/postgresql/15/bin";

    internal const string OwnerRole = "switchboard_owner";
    internal const string OwnerPassword = "owner-pw";
    internal const string RequestRole = "switchboard_web";
    internal const string RequestPassword = "web-pw";

    private static readonly Lazy<Task<PostgresServer>> Instance = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    // Roles are cluster-wide: CREATE ROLE racing CREATE ROLE fails on the catalog's unique index.
    private static readonly SemaphoreSlim ClusterLock = new(1, 1);

    private readonly string? _directory;
    private readonly List<string> _databases = [];
    private int _stopped;

    private PostgresServer(string superuserConnectionString, string? directory)
    {
        SuperuserConnectionString = superuserConnectionString;
        _directory = directory;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
    }

    /// <summary>Connection string to the <c>postgres</c> database as a superuser.</summary>
    public string SuperuserConnectionString { get; }

    /// <summary>The process-wide server, started on first use.</summary>
    public static Task<PostgresServer> GetAsync() => Instance.Value;

    /// <summary>
    /// Like <see cref="GetAsync"/>, but skips the calling test when no server is configured and the
    /// binaries are not installed, except on CI (<c>CI=true</c>), where a missing server is a failure.
    /// </summary>
    public static async Task<PostgresServer> RequireAsync()
    {
        if (Unavailable() is { } reason && !IsCi)
        {
            Assert.Skip(reason);
        }
        return await GetAsync();
    }

    /// <summary>
    /// A new empty database owned by the non-superuser <c>switchboard_owner</c>, with connection strings
    /// for the owner (migrations) and for the request-path role that migrations provision.
    /// </summary>
    public async Task<PostgresDatabase> CreateDatabaseAsync(string prefix)
    {
        var name = DatabaseName(prefix);
        await ClusterLock.WaitAsync();
        try
        {
            await using var connection = new NpgsqlConnection(SuperuserConnectionString);
            await connection.OpenAsync();
            await using (var transaction = await connection.BeginTransactionAsync())
            {
                await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock(hashtext('switchboard-tests-roles'))");
                await ExecuteAsync(connection,
                    $"""
                    DO $$
                    BEGIN
                        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{OwnerRole}') THEN
                            CREATE ROLE {OwnerRole} LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS PASSWORD '{OwnerPassword}';
                        ELSE
                            ALTER ROLE {OwnerRole} LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS PASSWORD '{OwnerPassword}';
                        END IF;
                    END
                    $$
                    """);
                await transaction.CommitAsync();
            }
            await ExecuteAsync(connection, $"CREATE DATABASE \"{name}\" OWNER {OwnerRole}");
            lock (_databases)
            {
                _databases.Add(name);
            }
        }
        finally
        {
            ClusterLock.Release();
        }

        return new PostgresDatabase(name, ConnectionString(name, OwnerRole, OwnerPassword), ConnectionString(name, RequestRole, RequestPassword));
    }

    /// <summary>A connection string to <paramref name="database"/> as the superuser, for tests that need to look past every policy.</summary>
    internal string SuperuserConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(SuperuserConnectionString) { Database = database }.ConnectionString;

    /// <summary>
    /// Stops the server (or, for a shared one, drops the databases this process created) now rather
    /// than at process exit. The singleton is not restarted afterwards.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }

    private string ConnectionString(string database, string username, string password) =>
        new NpgsqlConnectionStringBuilder(SuperuserConnectionString)
        {
            Database = database,
            Username = username,
            Password = password,
            Pooling = true,
        }.ConnectionString;

    private static string DatabaseName(string prefix)
    {
        var clean = new StringBuilder();
        foreach (var c in prefix.ToLowerInvariant())
        {
            clean.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? c : '_');
        }
        var head = clean.Length == 0 || !char.IsAsciiLetterLower(clean[0]) ? "t_" + clean : clean.ToString();
        // Unique per call and within PostgreSQL's 63-byte identifier limit.
        return $"{head[..Math.Min(head.Length, 40)]}_{Guid.NewGuid().ToString("N")[..12]}";
    }

    private static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private static string? External => Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value ? value : null;

    private static string? Unavailable() =>
        External is null && !File.Exists(Path.Combine(BinDirectory, "initdb"))
            ? $"PostgreSQL is not available: set {EnvironmentVariable} to a superuser connection string, " +
              $"or install the PostgreSQL 15 server binaries ({BinDirectory}; Debian package postgresql-15)."
            : null;

    private static async Task<PostgresServer> StartAsync()
    {
        if (External is { } external)
        {
            return await ConnectAsync(external);
        }
        if (Unavailable() is { } reason)
        {
            throw new InvalidOperationException(reason);
        }

        var directory = Directory.CreateTempSubdirectory("switchboard-pg-").FullName;
        try
        {
            return await StartLocalAsync(directory);
        }
        catch
        {
            TryDelete(directory);
            throw;
        }
    }

    private static async Task<PostgresServer> ConnectAsync(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = true };
        if (string.IsNullOrEmpty(builder.Database))
        {
            builder.Database = "postgres";
        }
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", connection);
        if (await command.ExecuteScalarAsync() is not true)
        {
            throw new InvalidOperationException(
                $"{EnvironmentVariable} must connect as a superuser: the tests create roles and databases.");
        }
        return new PostgresServer(builder.ConnectionString, directory: null);
    }

    private static async Task<PostgresServer> StartLocalAsync(string directory)
    {
        var data = Path.Combine(directory, "data");
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var passwordFile = Path.Combine(directory, "superuser-password");
        StartWatchdog(data, directory);
        await File.WriteAllTextAsync(passwordFile, password);
        if (IsRoot)
        {
            // initdb refuses to run as root, so the cluster belongs to the postgres account.
            await RunAsync("chown", ["-R", "postgres:postgres", directory], directory, asPostgres: false);
        }

        await RunAsync(Path.Combine(BinDirectory, "initdb"),
            ["-D", data, "-U", "postgres", $"--pwfile={passwordFile}", "-E", "UTF8", "--locale=C", "--no-sync",
             "--auth-local=trust", "--auth-host=md5"],
            directory, asPostgres: IsRoot);
        File.Delete(passwordFile);
        // Only the loopback address, and passwords checked, so the roles' passwords mean what they say.
        await File.WriteAllTextAsync(Path.Combine(data, "pg_hba.conf"),
            "local all all trust\nhost all all 127.0.0.1/32 md5\n");

        for (var attempt = 1; ; attempt++)
        {
            // Another process can take the port between our probe and the server's bind; try another.
            var port = FreePort();
            var log = Path.Combine(directory, "postgres.log");
            var options = $"-h 127.0.0.1 -p {port} -k {directory} -F -c fsync=off -c full_page_writes=off " +
                          "-c synchronous_commit=off -c max_connections=200";
            var (exitCode, output) = await TryRunAsync(Path.Combine(BinDirectory, "pg_ctl"),
                ["-D", data, "-l", log, "-w", "-t", "60", "-o", options, "start"], directory, asPostgres: IsRoot);
            if (exitCode == 0)
            {
                return new PostgresServer(
                    $"Host=127.0.0.1;Port={port};Database=postgres;Username=postgres;Password={password};Pooling=true",
                    directory);
            }
            if (attempt == 3)
            {
                var serverLog = File.Exists(log) ? await File.ReadAllTextAsync(log) : "";
                throw new InvalidOperationException($"pg_ctl start failed ({exitCode}):\n{output}\n{serverLog}");
            }
        }
    }

    // ProcessExit does not run when the test host is killed; this keeps a killed run from leaving a server behind.
    private static void StartWatchdog(string data, string directory)
    {
        var stop = Command(Path.Combine(BinDirectory, "pg_ctl"), ["-D", data, "-m", "immediate", "stop"], IsRoot);
        var script = $"exec </dev/null >/dev/null 2>&1; while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 2; done; {stop} >/dev/null 2>&1; rm -rf '{directory}'";
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var arg in new[] { "sh", "-c", script })
        {
            start.ArgumentList.Add(arg);
        }
        using var _ = Process.Start(start);
    }

    private static string Command(string file, string[] args, bool asPostgres)
    {
        var all = asPostgres ? ["runuser", "-u", "postgres", "--", file, .. args] : new[] { file }.Concat(args);
        return string.Join(' ', all.Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
    }

    private void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }
        if (_directory is null)
        {
            DropDatabases();
            return;
        }
        NpgsqlConnection.ClearAllPools();
        try
        {
            using var process = Process.Start(StartInfo(Path.Combine(BinDirectory, "pg_ctl"),
                ["-D", Path.Combine(_directory, "data"), "-m", "immediate", "stop"], _directory, IsRoot));
            process?.WaitForExit(TimeSpan.FromSeconds(20));
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // The watchdog stops it when the process is gone.
        }
        TryDelete(_directory);
    }

    // A shared server outlives the run, so leave it as we found it.
    private void DropDatabases()
    {
        string[] names;
        lock (_databases)
        {
            names = [.. _databases];
        }
        try
        {
            NpgsqlConnection.ClearAllPools();
            using var connection = new NpgsqlConnection(SuperuserConnectionString);
            connection.Open();
            foreach (var name in names)
            {
                using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
                command.ExecuteNonQuery();
            }
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // Best effort at exit: a leftover database only costs disk on a developer's server.
        }
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static ProcessStartInfo StartInfo(string file, string[] args, string workingDirectory, bool asPostgres)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in asPostgres ? ["-u", "postgres", "--", file, .. args] : args)
        {
            start.ArgumentList.Add(arg);
        }
        return start;
    }

    private static async Task RunAsync(string file, string[] args, string workingDirectory, bool asPostgres)
    {
        var (exitCode, output) = await TryRunAsync(file, args, workingDirectory, asPostgres);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} failed ({exitCode}):\n{output}");
        }
    }

    private static async Task<(int ExitCode, string Output)> TryRunAsync(string file, string[] args, string workingDirectory, bool asPostgres)
    {
        using var process = Process.Start(StartInfo(file, args, workingDirectory, asPostgres))
            ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The watchdog removes it once the server has stopped.
        }
    }
}

/// <summary>
/// One test database: <see cref="AdminConnectionString"/> connects as its owner (migrations, seeding),
/// <see cref="RequestConnectionString"/> as the request-path role that row-level security applies to.
/// </summary>
public sealed record PostgresDatabase(string Name, string AdminConnectionString, string RequestConnectionString);
