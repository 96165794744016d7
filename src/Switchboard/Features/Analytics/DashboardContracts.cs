namespace Switchboard.Features.Analytics;

// The organization dashboard's figures (issue 6): one service computes them (AnalyticsDashboard), the HTTP API
// (/api/orgs/{orgId}/analytics/…, JSON and CSV) and the console's dashboard page show them. Shared contract:
// change it only together with both.

/// <summary>A date range in a time zone: days From..To inclusive, local to <paramref name="TimeZone"/> (IANA id; the organization's by default).</summary>
public sealed record DashboardRange(DateOnly From, DateOnly To, string TimeZone);

/// <summary>Median and 90th percentile of durations in minutes over <paramref name="Count"/> cases; null without cases.</summary>
public sealed record DurationStats(int Count, double? MedianMinutes, double? P90Minutes);

public sealed record RuleEscalations(Guid? RuleId, string RuleName, int Escalations);

/// <summary>One day of the range (local date): conversations started, escalated, resolved by the AI alone, CSAT mean and count.</summary>
public sealed record DailyPoint(DateOnly Date, int Conversations, int Escalated, int ResolvedByAi, double? CsatAverage, int CsatCount);

/// <summary>One agent over the range, from agent_analytics and the assignments.</summary>
public sealed record AgentFigures(Guid AgentId, string DisplayName, int ConversationsHandled, double? AvgResolutionMinutes,
    double? CsatAverage, int CsatCount, int AiEscalationsReceived);

public sealed record ArticleFigures(Guid ArticleId, string Title, decimal EffectivenessScore, int UsageCount, bool IsGlobal);

public sealed record GapFigures(string Example, int Count, DateTimeOffset LastSeen);

/// <summary>Everything the dashboard shows for one organization and range.</summary>
public sealed record DashboardSummary(
    DashboardRange Range,
    int Conversations,
    int ResolvedByAi,
    int Escalated,
    double? AiResolutionRate,
    double? EscalationRate,
    DurationStats FirstResponse,
    DurationStats Resolution,
    double? CsatAverage,
    int CsatCount,
    List<RuleEscalations> EscalationsByRule,
    List<DailyPoint> Daily,
    List<AgentFigures> Agents,
    List<ArticleFigures> TopArticles,
    List<ArticleFigures> WorstArticles,
    List<GapFigures> Gaps);
