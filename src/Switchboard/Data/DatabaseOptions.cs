namespace Switchboard.Data;

public enum DatabaseProvider { Sqlite, Postgres }

/// <summary>Configuration section <c>Database</c>; connection strings come from <c>ConnectionStrings</c>.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Apply pending migrations when <c>serve</c> starts.</summary>
    public bool MigrateOnStartup { get; set; } = true;

    /// <summary>Create the demo organization and users on first run when the database has no organization.</summary>
    public bool SeedDemoData { get; set; } = true;

    /// <summary>Resolved from ConnectionStrings:Switchboard; checked where it is used, with a message that says what to set.</summary>
    public string RequestConnectionString { get; set; } = "";

    /// <summary>Resolved from ConnectionStrings:SwitchboardAdmin.</summary>
    public string AdminConnectionString { get; set; } = "";
}
