using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Conversations;
using Switchboard.Features.Escalation;
using Switchboard.Features.Knowledge;
using Switchboard.Features.Organizations;

namespace Switchboard.Features.Analytics;

/// <summary>What a caller of <see cref="AnalyticsDashboard.ComputeAsync"/> needs beyond the core figures (the CSV exports need one table each).</summary>
[Flags]
public enum DashboardParts
{
    /// <summary>Conversations, rates, durations, escalations by rule, daily points and CSAT: always computed.</summary>
    Core = 0,
    Agents = 1,
    Articles = 2,
    Gaps = 4,
    All = Agents | Articles | Gaps,
}

/// <summary>
/// The organization dashboard's figures (docs/dashboard.md has every definition). Reads through the request's
/// <see cref="AppDbContext"/> (the caller is an admin of the organization; both walls still apply) and the
/// <see cref="KnowledgeGaps"/> report. Instants are compared in UTC: a range's local days become UTC bounds once.
/// </summary>
public sealed class AnalyticsDashboard(AppDbContext db, KnowledgeGaps knowledgeGaps)
{
    public const int MaxDays = 366;
    public const int DefaultDays = 30;
    public const int ArticleCount = 10;
    public const int GapCount = 10;
    public const string CustomerRequest = "Customer request";
    public const string AgentTookOver = "Agent took over";
    public const string FormerAgent = "Former agent";

    public Task<DashboardSummary> SummaryAsync(Guid organizationId, DashboardRange range, CancellationToken ct) =>
        ComputeAsync(organizationId, range, DashboardParts.All, ct);

    /// <summary>The summary with only the requested optional parts filled (the others are empty lists).</summary>
    public async Task<DashboardSummary> ComputeAsync(Guid organizationId, DashboardRange range, DashboardParts parts, CancellationToken ct)
    {
        if (range.From > range.To) throw new ArgumentException("From must not be after To.", nameof(range));
        var zone = TimeZones.Find(range.TimeZone) ?? throw new ArgumentException($"Unknown time zone '{range.TimeZone}'.", nameof(range));
        var fromUtc = DayStartUtc(range.From, zone);
        var toUtc = DayStartUtc(range.To.AddDays(1), zone);

        // Conversations: sessions created in the range with a customer message; one small row each.
        var sessions = await db.Sessions.AsNoTracking()
            .Where(s => s.OrganizationId == organizationId && s.CreatedAt >= fromUtc && s.CreatedAt < toUtc
                && db.Messages.Any(m => m.SessionId == s.Id && m.MessageType == MessageTypes.User))
            .Select(s => new
            {
                s.CreatedAt,
                Escalated = db.Escalations.Any(e => e.SessionId == s.Id),
                Ai = db.Messages.Any(m => m.SessionId == s.Id && m.MessageType == MessageTypes.Ai),
            })
            .ToListAsync(ct);

        // Escalations that started in the range, with the first agent message while each was open.
        var escalations = await db.Escalations.AsNoTracking()
            .Where(e => e.OrganizationId == organizationId && e.EscalatedAt >= fromUtc && e.EscalatedAt < toUtc)
            .Select(e => new
            {
                e.RuleId,
                e.RuleName,
                e.Trigger,
                e.EscalatedAt,
                FirstAgentMessage = db.Messages
                    .Where(m => m.SessionId == e.SessionId && m.MessageType == MessageTypes.Agent && m.CreatedAt >= e.EscalatedAt
                        && (e.EndedAt == null || m.CreatedAt <= e.EndedAt))
                    .OrderBy(m => m.CreatedAt)
                    .Select(m => (DateTimeOffset?)m.CreatedAt)
                    .FirstOrDefault(),
            })
            .ToListAsync(ct);

        var resolved = await db.Escalations.AsNoTracking()
            .Where(e => e.OrganizationId == organizationId && e.Outcome == EscalationOutcomes.Resolved
                && e.EndedAt != null && e.EndedAt >= fromUtc && e.EndedAt < toUtc)
            .Select(e => new { e.EscalatedAt, EndedAt = e.EndedAt!.Value })
            .ToListAsync(ct);

        var csat = await db.Csat.AsNoTracking()
            .Where(c => c.OrganizationId == organizationId && c.CreatedAt >= fromUtc && c.CreatedAt < toUtc)
            .Select(c => new { c.CreatedAt, c.Score, c.AgentId })
            .ToListAsync(ct);

        var conversations = sessions.Count;
        var escalated = sessions.Count(s => s.Escalated);
        var resolvedByAi = sessions.Count(s => !s.Escalated && s.Ai);

        var firstResponse = Durations(escalations.Where(e => e.FirstAgentMessage is not null)
            .Select(e => (e.FirstAgentMessage!.Value - e.EscalatedAt).TotalMinutes));
        var resolution = Durations(resolved.Select(e => (e.EndedAt - e.EscalatedAt).TotalMinutes));

        var byRule = escalations
            .GroupBy(e => RuleKey(e.Trigger, e.RuleId, e.RuleName))
            .Select(g => new RuleEscalations(g.Key.RuleId,
                g.Key.Name ?? g.OrderByDescending(e => e.EscalatedAt).Select(e => e.RuleName).FirstOrDefault(n => n is not null) ?? "Rule",
                g.Count()))
            .OrderByDescending(r => r.Escalations).ThenBy(r => r.RuleName, StringComparer.Ordinal)
            .ToList();

        var sessionsByDay = sessions.ToLookup(s => TimeZones.LocalDate(s.CreatedAt, zone));
        var csatByDay = csat.ToLookup(c => TimeZones.LocalDate(c.CreatedAt, zone));
        var daily = new List<DailyPoint>();
        for (var day = range.From; day <= range.To; day = day.AddDays(1))
        {
            var started = sessionsByDay[day].ToList();
            var ratings = csatByDay[day].Select(c => c.Score).ToList();
            daily.Add(new DailyPoint(day, started.Count, started.Count(s => s.Escalated), started.Count(s => !s.Escalated && s.Ai),
                Mean(ratings), ratings.Count));
        }

        var agents = parts.HasFlag(DashboardParts.Agents)
            ? await AgentsAsync(organizationId, range, zone, csat.Where(c => c.AgentId is not null).Select(c => (c.AgentId!.Value, c.Score)).ToList(), ct)
            : [];
        var (top, worst) = parts.HasFlag(DashboardParts.Articles) ? await ArticlesAsync(organizationId, ct) : ([], []);
        var gaps = parts.HasFlag(DashboardParts.Gaps)
            ? (await knowledgeGaps.ReportAsync(organizationId, fromUtc, toUtc, ct)).Gaps.Take(GapCount)
                .Select(g => new GapFigures(g.Examples.FirstOrDefault()?.Question ?? "", g.Count, g.LastSeen)).ToList()
            : [];

        var scores = csat.Select(c => c.Score).ToList();
        return new DashboardSummary(range, conversations, resolvedByAi, escalated,
            Rate(resolvedByAi, conversations), Rate(escalated, conversations),
            firstResponse, resolution, Mean(scores), scores.Count, byRule, daily, agents, top, worst, gaps);
    }

    private sealed record AgentDay(Guid AgentId, int? ConversationsHandled, decimal? AvgResolutionTimeMinutes, int? AiEscalationsReceived);

    /// <summary>
    /// Per agent: the agent-days of the range — the agent_analytics rows when the range is in the organization's time zone
    /// (the rows' days), else the same figures computed from the facts in the requested zone — and the CSAT ratings
    /// attributed to the agent within the range.
    /// </summary>
    private async Task<List<AgentFigures>> AgentsAsync(Guid organizationId, DashboardRange range, TimeZoneInfo zone,
        List<(Guid AgentId, int Score)> ratings, CancellationToken ct)
    {
        var rows = (await AgentAnalyticsUpdater.ZoneAsync(db, organizationId, ct)).Id == zone.Id
            ? await db.AgentAnalytics.AsNoTracking()
                .Where(a => a.OrganizationId == organizationId && a.Date >= range.From && a.Date <= range.To)
                .Select(a => new AgentDay(a.AgentId, a.ConversationsHandled, a.AvgResolutionTimeMinutes, a.AiEscalationsReceived))
                .ToListAsync(ct)
            : [.. (await AgentAnalyticsUpdater.ComputeAsync(db, organizationId, zone, range.From, range.To, null, ct)).Values
                .Select(f => new AgentDay(f.AgentId, f.ConversationsHandled, f.AvgResolutionTimeMinutes, f.AiEscalationsReceived))];
        var ids = rows.Select(r => r.AgentId).Concat(ratings.Select(r => r.AgentId)).Distinct().ToList();
        if (ids.Count == 0) return [];
        var names = await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id))
            .Select(u => new { u.Id, u.DisplayName, u.Email }).ToDictionaryAsync(u => u.Id, ct);
        var byAgent = rows.ToLookup(r => r.AgentId);
        var ratingsByAgent = ratings.ToLookup(r => r.AgentId, r => r.Score);
        return [.. ids.Select(id =>
            {
                var days = byAgent[id].ToList();
                var handled = days.Sum(d => d.ConversationsHandled ?? 0);
                // Each day's mean weighs by the conversations it covers: the mean over all of them.
                var weighted = days.Sum(d => (d.AvgResolutionTimeMinutes ?? 0) * (d.ConversationsHandled ?? 0));
                var scores = ratingsByAgent[id].ToList();
                var name = names.GetValueOrDefault(id) is { } u ? (string.IsNullOrWhiteSpace(u.DisplayName) ? u.Email ?? FormerAgent : u.DisplayName) : FormerAgent;
                return new AgentFigures(id, name, handled, handled == 0 ? null : (double)Math.Round(weighted / handled, 2, MidpointRounding.AwayFromZero),
                    Mean(scores), scores.Count, days.Sum(d => d.AiEscalationsReceived ?? 0));
            })
            .OrderByDescending(a => a.ConversationsHandled).ThenBy(a => a.DisplayName, StringComparer.Ordinal).ThenBy(a => a.AgentId)];
    }

    /// <summary>
    /// The organization's and global articles with at least one outcome of this organization. An organization article
    /// ranks by its stored effectiveness_score; a global one by this organization's outcomes (the stored global score
    /// never learns from one organization, see ArticleOutcomes), with the same formula and rounding.
    /// </summary>
    private async Task<(List<ArticleFigures> Top, List<ArticleFigures> Worst)> ArticlesAsync(Guid organizationId, CancellationToken ct)
    {
        var counts = await db.ArticleOutcomes.AsNoTracking().Where(o => o.OrganizationId == organizationId)
            .GroupBy(o => o.ArticleId)
            .Select(g => new { ArticleId = g.Key, Positive = g.Count(o => o.Positive), Negative = g.Count(o => !o.Positive) })
            .ToDictionaryAsync(c => c.ArticleId, ct);
        if (counts.Count == 0) return ([], []);
        var ids = counts.Keys.ToList();
        var articles = (await db.Knowledge.AsNoTracking()
                .Where(a => ids.Contains(a.Id) && (a.OrganizationId == organizationId || a.OrganizationId == null))
                .Select(a => new { a.Id, a.Title, a.EffectivenessScore, a.UsageCount, a.OrganizationId })
                .ToListAsync(ct))
            .Select(a => new ArticleFigures(a.Id, a.Title,
                a.OrganizationId is null ? ArticleOutcomes.StoredScore(counts[a.Id].Positive, counts[a.Id].Negative) : a.EffectivenessScore ?? 0,
                a.UsageCount ?? 0, a.OrganizationId is null))
            .ToList();
        var top = articles.OrderByDescending(a => a.EffectivenessScore).ThenByDescending(a => a.UsageCount)
            .ThenBy(a => a.Title, StringComparer.Ordinal).ThenBy(a => a.ArticleId).Take(ArticleCount).ToList();
        var worst = articles.OrderBy(a => a.EffectivenessScore).ThenByDescending(a => a.UsageCount)
            .ThenBy(a => a.Title, StringComparer.Ordinal).ThenBy(a => a.ArticleId).Take(ArticleCount).ToList();
        return (top, worst);
    }

    /// <summary>
    /// An escalation's row in "escalations by rule": an agent's takeover, the rule that fired (by id, named as it was
    /// last called), a customer's request without a rule, or a rule deleted since (by its name then).
    /// </summary>
    private static (Guid? RuleId, string? Name) RuleKey(string trigger, Guid? ruleId, string? ruleName) =>
        trigger == EscalationTriggers.Agent ? (null, AgentTookOver)
        : ruleId is not null ? (ruleId, null)
        : (null, ruleName ?? CustomerRequest);

    /// <summary>
    /// The UTC instant a local day starts. A transition at midnight can skip it (the day then starts at its first
    /// local time that exists) or repeat it (the day starts at the first occurrence).
    /// </summary>
    public static DateTimeOffset DayStartUtc(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        for (var i = 0; i < 24 * 4 && zone.IsInvalidTime(local); i++) local = local.AddMinutes(15);
        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }

    /// <summary>Median and 90th percentile, nearest-rank (the smallest value with at least p% of the cases at or below it), minutes rounded to 2 decimals.</summary>
    public static DurationStats Durations(IEnumerable<double> minutes)
    {
        var sorted = minutes.Order().ToList();
        if (sorted.Count == 0) return new DurationStats(0, null, null);
        return new DurationStats(sorted.Count, Round(NearestRank(sorted, 50)), Round(NearestRank(sorted, 90)));
    }

    public static double NearestRank(IReadOnlyList<double> sorted, int percent)
    {
        var rank = (percent * sorted.Count + 99) / 100; // ceil(p/100 × n) in integers
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }

    private static double? Rate(int part, int whole) => whole == 0 ? null : Math.Round((double)part / whole, 4, MidpointRounding.AwayFromZero);

    private static double? Mean(List<int> scores) => scores.Count == 0 ? null : Round(scores.Average());

    private static double Round(double value) => Math.Round(value, 2, MidpointRounding.AwayFromZero);
}
