using System.Globalization;
using CsvHelper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Organizations;
using Switchboard.Tenancy;

namespace Switchboard.Features.Analytics;

/// <summary>
/// The organization dashboard over HTTP, admins only: GET /api/orgs/{orgId}/analytics/summary (JSON) and one CSV per
/// table (daily, rules, agents, articles, gaps). ?from=&amp;to= are local dates (yyyy-MM-dd) in ?timeZone= (IANA; the
/// organization's by default); without them the last 30 local days up to today.
/// </summary>
public static class AnalyticsDashboardApi
{
    public static readonly string[] Tables = ["daily", "rules", "agents", "articles", "gaps"];

    public static IEndpointRouteBuilder MapAnalyticsDashboardApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgId}/analytics").WithTags("Analytics").RequireOrgRole(OrgRoles.Admin);
        group.MapGet("/summary", Summary);
        group.MapGet("/{table}.csv", Csv);
        return app;
    }

    private static async Task<Results<Ok<DashboardSummary>, ValidationProblem>> Summary(HttpContext http, string? from, string? to, string? timeZone,
        AppDbContext db, AnalyticsDashboard dashboard, CancellationToken ct)
    {
        var orgId = http.OrgId();
        var (range, problem) = await ParseRangeAsync(db, orgId, from, to, timeZone, ct);
        if (problem is not null) return problem;
        return TypedResults.Ok(await dashboard.SummaryAsync(orgId, range!, ct));
    }

    private static async Task<Results<FileContentHttpResult, ValidationProblem, ProblemHttpResult>> Csv(HttpContext http, string table,
        string? from, string? to, string? timeZone, AppDbContext db, AnalyticsDashboard dashboard, CancellationToken ct)
    {
        table = table.ToLowerInvariant();
        if (!Tables.Contains(table))
        {
            return Problems.NotFound("table", $"There is no table '{table}'; the CSV exports are {string.Join(", ", Tables.Select(t => t + ".csv"))}.");
        }
        var orgId = http.OrgId();
        var (range, problem) = await ParseRangeAsync(db, orgId, from, to, timeZone, ct);
        if (problem is not null) return problem;
        var parts = table switch
        {
            "agents" => DashboardParts.Agents,
            "articles" => DashboardParts.Articles,
            "gaps" => DashboardParts.Gaps,
            _ => DashboardParts.Core,
        };
        var summary = await dashboard.ComputeAsync(orgId, range!, parts, ct);
        var name = $"switchboard-{table}-{range!.From:yyyy-MM-dd}-{range.To:yyyy-MM-dd}.csv";
        return TypedResults.File(ToCsv(table, summary), "text/csv; charset=utf-8", name);
    }

    /// <summary>
    /// The CSV of one table, UTF-8: a header row, invariant culture, RFC 4180 quoting, and text that a spreadsheet would
    /// run as a formula (= + - @ first) escaped with a leading apostrophe (docs/dashboard.md lists the columns).
    /// </summary>
    public static byte[] ToCsv(string table, DashboardSummary summary)
    {
        using var bytes = new MemoryStream();
        using (var csv = CsvWriter.Create(bytes, new CsvWriterOptions
        {
            Injection = CsvInjection.Escape, FormatProvider = CultureInfo.InvariantCulture, TrueValue = "true", FalseValue = "false",
        }, leaveOpen: true))
        {
            void Row(params object?[] fields)
            {
                foreach (var field in fields)
                {
                    // Numbers, dates (yyyy-MM-dd), instants (ISO 8601 "O") and Guids as values; only text can be escaped.
                    csv.WriteField(field);
                }
                csv.EndRecord();
            }

            switch (table)
            {
                case "daily":
                    Row("date", "conversations", "escalated", "resolved_by_ai", "csat_average", "csat_count");
                    foreach (var d in summary.Daily) Row(d.Date, d.Conversations, d.Escalated, d.ResolvedByAi, d.CsatAverage, d.CsatCount);
                    break;
                case "rules":
                    Row("rule_id", "rule_name", "escalations");
                    foreach (var r in summary.EscalationsByRule) Row(r.RuleId, r.RuleName, r.Escalations);
                    break;
                case "agents":
                    Row("agent_id", "display_name", "conversations_handled", "avg_resolution_minutes", "csat_average", "csat_count", "ai_escalations_received");
                    foreach (var a in summary.Agents)
                        Row(a.AgentId, a.DisplayName, a.ConversationsHandled, a.AvgResolutionMinutes, a.CsatAverage, a.CsatCount, a.AiEscalationsReceived);
                    break;
                case "articles":
                    Row("list", "rank", "article_id", "title", "effectiveness_score", "usage_count", "is_global");
                    foreach (var (list, articles) in new[] { ("top", summary.TopArticles), ("worst", summary.WorstArticles) })
                        for (var i = 0; i < articles.Count; i++)
                            Row(list, i + 1, articles[i].ArticleId, articles[i].Title, articles[i].EffectivenessScore, articles[i].UsageCount, articles[i].IsGlobal);
                    break;
                case "gaps":
                    Row("example", "count", "last_seen");
                    foreach (var g in summary.Gaps) Row(g.Example, g.Count, g.LastSeen);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(table), table, "Unknown dashboard table.");
            }
            csv.Flush();
        }
        return bytes.ToArray();
    }

    /// <summary>from/to/timeZone → a range, or a 400 naming the field. Defaults: the organization's zone, the last 30 local days up to today.</summary>
    public static async Task<(DashboardRange? Range, ValidationProblem? Problem)> ParseRangeAsync(AppDbContext db, Guid orgId,
        string? from, string? to, string? timeZone, CancellationToken ct)
    {
        var zoneId = string.IsNullOrWhiteSpace(timeZone)
            ? await db.Organizations.AsNoTracking().Where(o => o.Id == orgId).Select(o => o.TimeZone).SingleAsync(ct)
            : timeZone.Trim();
        var zone = TimeZones.Find(zoneId);
        if (zone is null)
        {
            return (null, Problems.Invalid("timeZone", $"Unknown time zone '{zoneId}'; use an IANA id such as 'Europe/Berlin' or 'UTC'."));
        }
        DateOnly? fromDate = null, toDate = null;
        if (!string.IsNullOrWhiteSpace(from))
        {
            if (!DateOnly.TryParseExact(from.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var f))
                return (null, Problems.Invalid("from", $"'{from}' is not a date; use yyyy-MM-dd."));
            fromDate = f;
        }
        if (!string.IsNullOrWhiteSpace(to))
        {
            if (!DateOnly.TryParseExact(to.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var t))
                return (null, Problems.Invalid("to", $"'{to}' is not a date; use yyyy-MM-dd."));
            toDate = t;
        }
        var end = toDate ?? TimeZones.LocalDate(DateTimeOffset.UtcNow, zone);
        var start = fromDate ?? end.AddDays(-(AnalyticsDashboard.DefaultDays - 1));
        if (start > end) return (null, Problems.Invalid("from", $"'from' ({start:yyyy-MM-dd}) must not be after 'to' ({end:yyyy-MM-dd})."));
        if (end.DayNumber - start.DayNumber + 1 > AnalyticsDashboard.MaxDays)
        {
            return (null, Problems.Invalid("to", $"The range covers {end.DayNumber - start.DayNumber + 1} days; at most {AnalyticsDashboard.MaxDays} are allowed."));
        }
        return (new DashboardRange(start, end, zoneId), null);
    }
}
