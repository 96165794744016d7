namespace Switchboard.Data;

/// <summary>
/// The few spellings that differ between providers, so that one set of entity configurations
/// describes both databases. PostgreSQL gets the seed's exact types and defaults; SQLite gets
/// the nearest equivalents (values the application always sets itself carry no SQL default there).
/// </summary>
public sealed record ProviderSql(
    string? JsonType,
    string? NewIdDefault,
    string? NowDefault,
    string? TodayDefault,
    string EmptyJsonDefault,
    string EmptyTextArrayDefault,
    string? DecimalType,
    string? AuthSchema)
{
    public static readonly ProviderSql Postgres = new(
        JsonType: "jsonb",
        NewIdDefault: "gen_random_uuid()",
        NowDefault: "now()",
        TodayDefault: "CURRENT_DATE",
        EmptyJsonDefault: "'{}'::jsonb",
        EmptyTextArrayDefault: "'{}'::text[]",
        DecimalType: "numeric",
        AuthSchema: "auth");

    public static readonly ProviderSql Sqlite = new(
        JsonType: null,
        NewIdDefault: null,
        NowDefault: null,
        TodayDefault: null,
        EmptyJsonDefault: "'{}'",
        EmptyTextArrayDefault: "'[]'",
        DecimalType: null,
        AuthSchema: null);
}
