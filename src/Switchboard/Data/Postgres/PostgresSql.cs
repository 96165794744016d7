namespace Switchboard.Data.Postgres;

/// <summary>Plain SQL scripts embedded in the assembly, for migrations that EF cannot express.</summary>
internal static class PostgresSql
{
    public static string Read(string name)
    {
        using var stream = typeof(PostgresSql).Assembly.GetManifestResourceStream($"Switchboard.Data.Postgres.Sql.{name}")
            ?? throw new InvalidOperationException($"Embedded SQL script {name} is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
