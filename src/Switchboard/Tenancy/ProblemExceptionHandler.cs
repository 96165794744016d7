using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Switchboard.Tenancy;

/// <summary>
/// Turns what a client can cause (malformed JSON, a constraint the database enforces, a row the
/// policies refuse) into a 4xx problem detail naming the field, never a 500.
/// </summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = Describe(exception);
        if (problem is null)
        {
            return false;
        }
        logger.LogInformation("Request refused with {Status}: {Detail}", problem.Status, problem.Detail);
        httpContext.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    internal static ProblemDetails? Describe(Exception exception) => exception switch
    {
        BadHttpRequestException { InnerException: JsonException json } => Field(400, JsonField(json.Path),
            $"The request body is not valid JSON for this endpoint: {json.Message}"),
        BadHttpRequestException bad when bad.Message.Contains("JSON", StringComparison.OrdinalIgnoreCase) =>
            Field(400, "body", bad.Message),
        BadHttpRequestException bad => Field(bad.StatusCode, ParameterName(bad.Message), bad.Message),
        DbUpdateException { InnerException: PostgresException pg } => Postgres(pg),
        PostgresException pg => Postgres(pg),
        DbUpdateException { InnerException: SqliteException sqlite } => Sqlite(sqlite),
        _ => null,
    };

    private static ProblemDetails? Postgres(PostgresException pg) => pg.SqlState switch
    {
        PostgresErrorCodes.CheckViolation => Field(400, ColumnOf(pg.ConstraintName), $"A value breaks the rule {pg.ConstraintName}."),
        PostgresErrorCodes.UniqueViolation => Field(409, ColumnOf(pg.ConstraintName), "A record with this value already exists."),
        PostgresErrorCodes.ForeignKeyViolation => Field(400, ColumnOf(pg.ConstraintName), "A referenced record does not exist."),
        PostgresErrorCodes.NotNullViolation => Field(400, pg.ColumnName ?? "body", $"The field '{pg.ColumnName}' is required."),
        PostgresErrorCodes.InsufficientPrivilege => Field(403, "body", "Row-level security does not allow this change for you."),
        PostgresErrorCodes.StringDataRightTruncation => Field(400, pg.ColumnName ?? "body", "A value is too long."),
        _ => null,
    };

    private static ProblemDetails? Sqlite(SqliteException sqlite) => sqlite.SqliteExtendedErrorCode switch
    {
        275 => Field(400, ColumnOf(ConstraintIn(sqlite.Message)), $"A value breaks a rule: {sqlite.Message}"), // CHECK
        1555 or 2067 => Field(409, "body", "A record with this value already exists."), // PRIMARY KEY, UNIQUE
        787 => Field(400, "body", "A referenced record does not exist."), // FOREIGN KEY
        1299 => Field(400, "body", $"A required value is missing: {sqlite.Message}"), // NOT NULL
        _ => null,
    };

    private static ProblemDetails Field(int status, string field, string detail) => new()
    {
        Status = status,
        Title = status == 400 ? $"The field '{field}' is invalid." : ReasonPhrases(status),
        Detail = detail,
        Extensions = { ["errors"] = new Dictionary<string, string[]> { [field] = [detail] }, ["field"] = field },
    };

    private static string ReasonPhrases(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);

    // "$.priorityLevel" -> "priorityLevel"; the root or an unknown path is the body itself.
    private static string JsonField(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? "body" : path.TrimStart('$', '.');

    // "Failed to bind parameter \"Guid id\" from \"abc\"." -> "id"
    private static string ParameterName(string message)
    {
        var start = message.IndexOf('"', StringComparison.Ordinal);
        var end = start < 0 ? -1 : message.IndexOf('"', start + 1);
        return end > start ? message[(start + 1)..end].Split(' ').Last() : "request";
    }

    private static string ConstraintIn(string message) => message.Split(':').LastOrDefault()?.Trim() ?? "";

    // Our constraints are named <table>_<column>_check or ck_<table>_<column>; the column is the field.
    private static string ColumnOf(string? constraint)
    {
        if (string.IsNullOrEmpty(constraint)) return "body";
        foreach (var column in KnownColumns)
        {
            if (constraint.Contains(column, StringComparison.Ordinal)) return ToCamel(column);
        }
        return constraint;
    }

    private static readonly string[] KnownColumns =
        ["priority_level", "message_type", "status", "role", "availability", "max_concurrent", "session_token",
         "organization_id", "session_id", "agent_id", "user_id", "slug", "client_message_id", "seq"];

    private static string ToCamel(string snake)
    {
        var parts = snake.Split('_');
        return parts[0] + string.Concat(parts.Skip(1).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
    }
}
