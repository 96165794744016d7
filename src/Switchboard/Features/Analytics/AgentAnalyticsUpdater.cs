using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Data;
using Switchboard.Features.Escalation;

namespace Switchboard.Features.Analytics;

/// <summary>Configuration section <c>Analytics</c>.</summary>
public sealed class AnalyticsOptions
{
    /// <summary>Recompute the touched agent-days as escalations, assignments and ratings happen (default true). Off: only a rebuild fills agent_analytics.</summary>
    public bool Live { get; set; } = true;
}

/// <summary>One agent's figures for one local day, as computed from the facts (docs/analytics.md).</summary>
public sealed record AgentDayFigures(Guid AgentId, DateOnly Date, int ConversationsHandled, decimal AvgResolutionTimeMinutes,
    decimal CustomerSatisfactionScore, int AiEscalationsReceived)
{
    public bool IsEmpty => ConversationsHandled == 0 && AvgResolutionTimeMinutes == 0 && CustomerSatisfactionScore == 0 && AiEscalationsReceived == 0;
}

/// <summary>Runs the live recomputations queued by <see cref="AgentAnalyticsUpdater.Changed"/>.</summary>
public sealed class AgentAnalyticsLiveService(AgentAnalyticsUpdater updater) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await updater.ProcessQueueAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}

/// <summary>What a rebuild changed.</summary>
public sealed record RebuildResult(int Organizations, int Days, int Inserted, int Updated, int Deleted, int Unchanged);

/// <summary>
/// Keeps agent_analytics exact: an agent-day's row is always recomputed from the facts (session_assignments,
/// session_escalations, session_csat), never incremented, so a retried event, a live update and a rebuild all
/// write the same numbers. Live: <see cref="EscalationChangedAsync"/> after an assignment, reassignment,
/// resolution, hand-back or rating is committed. Rebuild: <see cref="RebuildAsync"/> for a date range.
/// </summary>
public sealed class AgentAnalyticsUpdater(SystemDb systemDb, IOptionsMonitor<AnalyticsOptions> options, ILogger<AgentAnalyticsUpdater> logger)
{
    /// <summary>Days per batch of a rebuild: the facts of one organization for this many days are read at once.</summary>
    public const int RebuildBatchDays = 31;

    private readonly System.Threading.Channels.Channel<Guid> _changed =
        System.Threading.Channels.Channel.CreateUnbounded<Guid>(new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true });
    private int _pending;

    /// <summary>
    /// A session's facts changed (committed): its agent-days are recomputed in the background (<see cref="AgentAnalyticsLiveService"/>),
    /// off the caller's path. Lost only if the process stops first; a rebuild repairs that.
    /// </summary>
    public void Changed(Guid sessionId)
    {
        if (!options.CurrentValue.Live) return;
        Interlocked.Increment(ref _pending);
        if (!_changed.Writer.TryWrite(sessionId)) Interlocked.Decrement(ref _pending);
    }

    /// <summary>Changes queued and not yet recomputed.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Waits until every queued change is recomputed (tests, benchmarks), at most <paramref name="timeout"/>.</summary>
    public async Task<bool> IdleAsync(TimeSpan timeout, CancellationToken ct)
    {
        var until = DateTime.UtcNow + timeout;
        while (Pending > 0)
        {
            if (DateTime.UtcNow > until) return false;
            await Task.Delay(10, ct);
        }
        return true;
    }

    /// <summary>The background loop: recomputes each queued session's agent-days (duplicates queued meanwhile are recomputed once).</summary>
    public async Task ProcessQueueAsync(CancellationToken ct)
    {
        while (await _changed.Reader.WaitToReadAsync(ct))
        {
            var batch = new List<Guid>();
            while (batch.Count < 500 && _changed.Reader.TryRead(out var id)) batch.Add(id);
            foreach (var sessionId in batch.Distinct())
            {
                await SessionChangedAsync(sessionId, ct);
            }
            Interlocked.Add(ref _pending, -batch.Count);
        }
    }

    /// <summary>
    /// Recomputes every agent-day this escalation's facts touch (its assignment turns' days, its resolution day,
    /// the session's rating day). Never throws for a failure of its own: it is logged, and a rebuild repairs.
    /// </summary>
    public async Task EscalationChangedAsync(Guid escalationId, CancellationToken ct)
    {
        if (!options.CurrentValue.Live) return;
        try
        {
            await using var db = systemDb.CreateContext();
            var escalation = await db.Escalations.AsNoTracking().Where(e => e.Id == escalationId)
                .Select(e => new { e.OrganizationId, e.SessionId }).SingleOrDefaultAsync(ct);
            if (escalation is null) return;
            await SessionChangedAsync(db, escalation.OrganizationId, escalation.SessionId, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogError(e, "agent_analytics could not be updated for escalation {Escalation}; `analytics rebuild` repairs it", escalationId);
        }
    }

    /// <summary>As <see cref="EscalationChangedAsync"/>, for every escalation and the rating of a session.</summary>
    public async Task SessionChangedAsync(Guid sessionId, CancellationToken ct)
    {
        if (!options.CurrentValue.Live) return;
        try
        {
            await using var db = systemDb.CreateContext();
            var organizationId = await db.Sessions.AsNoTracking().Where(s => s.Id == sessionId).Select(s => (Guid?)s.OrganizationId).SingleOrDefaultAsync(ct);
            if (organizationId is null) return;
            await SessionChangedAsync(db, organizationId.Value, sessionId, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogError(e, "agent_analytics could not be updated for session {Session}; `analytics rebuild` repairs it", sessionId);
        }
    }

    private async Task SessionChangedAsync(AppDbContext db, Guid organizationId, Guid sessionId, CancellationToken ct)
    {
        var zone = await ZoneAsync(db, organizationId, ct);
        var turns = await db.Assignments.AsNoTracking().Where(a => a.SessionId == sessionId)
            .Select(a => new { a.AgentId, a.AssignedAt, a.ReleaseReason, a.EscalationId }).ToListAsync(ct);
        var ends = await db.Escalations.AsNoTracking().Where(e => e.SessionId == sessionId && e.EndedAt != null)
            .Select(e => new { e.Id, EndedAt = e.EndedAt!.Value }).ToListAsync(ct);
        var ratings = await db.Csat.AsNoTracking().Where(c => c.SessionId == sessionId && c.AgentId != null)
            .Select(c => new { AgentId = c.AgentId!.Value, c.CreatedAt }).ToListAsync(ct);
        var touched = new HashSet<(Guid Agent, DateOnly Date)>();
        foreach (var turn in turns)
        {
            touched.Add((turn.AgentId, LocalDate(turn.AssignedAt, zone)));
            if (ends.FirstOrDefault(e => e.Id == turn.EscalationId) is { } end) touched.Add((turn.AgentId, LocalDate(end.EndedAt, zone)));
        }
        foreach (var rating in ratings) touched.Add((rating.AgentId, LocalDate(rating.CreatedAt, zone)));
        foreach (var day in touched.GroupBy(t => t.Date))
        {
            await RecomputeAsync(organizationId, day.Key, day.Key, [.. day.Select(t => t.Agent)], ct);
        }
    }

    /// <summary>
    /// Recomputes one organization's agent-days from <paramref name="from"/> to <paramref name="to"/> (local dates), for the given
    /// agents or all: writes the rows the facts support, deletes the others. Retried when a concurrent update inserted the same row first.
    /// </summary>
    public async Task<(int Inserted, int Updated, int Deleted, int Unchanged)> RecomputeAsync(Guid organizationId, DateOnly from, DateOnly to,
        IReadOnlyCollection<Guid>? agents, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var db = systemDb.CreateContext();
                var zone = await ZoneAsync(db, organizationId, ct);
                var figures = await ComputeAsync(db, organizationId, zone, from, to, agents, ct);
                return await WriteAsync(db, organizationId, from, to, agents, figures, ct);
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                // Another update of the same agent-day committed first (the unique index): read the facts again.
            }
        }
    }

    /// <summary>
    /// Recomputes every agent-day from <paramref name="from"/> to <paramref name="to"/> of every organization (or the one with
    /// <paramref name="organizationSlug"/>), in batches of <see cref="RebuildBatchDays"/> days per organization, reporting days done.
    /// </summary>
    public async Task<RebuildResult> RebuildAsync(DateOnly from, DateOnly to, string? organizationSlug, IProgress<(int Done, int Total)>? progress, CancellationToken ct)
    {
        if (from > to) throw new ArgumentException("from must not be after to.", nameof(from));
        List<Guid> organizations;
        await using (var db = systemDb.CreateContext())
        {
            var query = db.Organizations.AsNoTracking();
            if (organizationSlug is not null) query = query.Where(o => o.Slug == organizationSlug);
            organizations = await query.OrderBy(o => o.Slug).Select(o => o.Id).ToListAsync(ct);
        }
        if (organizationSlug is not null && organizations.Count == 0)
        {
            throw new InvalidOperationException($"No organization has the slug '{organizationSlug}'.");
        }
        var days = to.DayNumber - from.DayNumber + 1;
        var total = days * organizations.Count;
        int done = 0, inserted = 0, updated = 0, deleted = 0, unchanged = 0;
        progress?.Report((0, total));
        foreach (var organization in organizations)
        {
            for (var start = from; start <= to; start = start.AddDays(RebuildBatchDays))
            {
                var end = start.AddDays(RebuildBatchDays - 1) is var e && e > to ? to : e;
                var (i, u, d, n) = await RecomputeAsync(organization, start, end, null, ct);
                inserted += i; updated += u; deleted += d; unchanged += n;
                done += end.DayNumber - start.DayNumber + 1;
                progress?.Report((done, total));
            }
        }
        return new RebuildResult(organizations.Count, days, inserted, updated, deleted, unchanged);
    }

    /// <summary>
    /// The figures of one organization's agent-days from the facts (docs/analytics.md): only non-empty ones.
    /// All timestamps are bucketed by their local date in <paramref name="zone"/>.
    /// </summary>
    public static async Task<Dictionary<(Guid Agent, DateOnly Date), AgentDayFigures>> ComputeAsync(AppDbContext db, Guid organizationId, TimeZoneInfo zone,
        DateOnly from, DateOnly to, IReadOnlyCollection<Guid>? agents, CancellationToken ct)
    {
        // A UTC window a day wider on each side than the local days (offsets are within ±14 h); exact dates are checked below.
        var start = new DateTimeOffset(from.AddDays(-1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var end = new DateTimeOffset(to.AddDays(2).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var agentList = agents?.ToList();

        // conversations_handled and avg resolution: the turn released as resolved of an escalation resolved in the window.
        var resolvedQuery =
            from a in db.Assignments.AsNoTracking()
            join e in db.Escalations.AsNoTracking() on a.EscalationId equals e.Id
            where a.OrganizationId == organizationId && a.ReleaseReason == EscalationOutcomes.Resolved
                  && e.Outcome == EscalationOutcomes.Resolved && e.EndedAt >= start && e.EndedAt < end
            select new { a.AgentId, a.AssignedAt, EndedAt = e.EndedAt!.Value };
        if (agentList is not null) resolvedQuery = resolvedQuery.Where(r => agentList.Contains(r.AgentId));
        var resolved = await resolvedQuery.ToListAsync(ct);

        // ai_escalations_received: assignment turns (any how) of escalations the rules or the customer started.
        var receivedQuery =
            from a in db.Assignments.AsNoTracking()
            join e in db.Escalations.AsNoTracking() on a.EscalationId equals e.Id
            where a.OrganizationId == organizationId && a.AssignedAt >= start && a.AssignedAt < end
                  && (e.Trigger == EscalationTriggers.Rule || e.Trigger == EscalationTriggers.Customer)
            select new { a.AgentId, a.AssignedAt };
        if (agentList is not null) receivedQuery = receivedQuery.Where(r => agentList.Contains(r.AgentId));
        var received = await receivedQuery.ToListAsync(ct);

        // customer_satisfaction_score: ratings attributed to the agent.
        var ratingQuery = db.Csat.AsNoTracking()
            .Where(c => c.OrganizationId == organizationId && c.AgentId != null && c.CreatedAt >= start && c.CreatedAt < end);
        if (agentList is not null) ratingQuery = ratingQuery.Where(c => agentList.Contains(c.AgentId!.Value));
        var ratings = await ratingQuery.Select(c => new { AgentId = c.AgentId!.Value, c.CreatedAt, c.Score }).ToListAsync(ct);

        var days = new Dictionary<(Guid, DateOnly), Day>();
        Day DayOf(Guid agent, DateTimeOffset at)
        {
            var key = (agent, LocalDate(at, zone));
            if (!days.TryGetValue(key, out var day)) days[key] = day = new Day();
            return day;
        }
        foreach (var r in resolved)
        {
            var day = DayOf(r.AgentId, r.EndedAt);
            day.Handled++;
            day.ResolutionTicks += (r.EndedAt - r.AssignedAt).Ticks;
        }
        foreach (var r in received) DayOf(r.AgentId, r.AssignedAt).Received++;
        foreach (var r in ratings)
        {
            var day = DayOf(r.AgentId, r.CreatedAt);
            day.Ratings++;
            day.ScoreSum += r.Score;
        }
        var result = new Dictionary<(Guid Agent, DateOnly Date), AgentDayFigures>();
        foreach (var ((agent, date), day) in days)
        {
            if (date < from || date > to) continue;
            var figures = new AgentDayFigures(agent, date, day.Handled,
                day.Handled == 0 ? 0m : Round2((decimal)day.ResolutionTicks / day.Handled / TimeSpan.TicksPerMinute),
                day.Ratings == 0 ? 0m : Round2((decimal)day.ScoreSum / day.Ratings),
                day.Received);
            if (!figures.IsEmpty) result[(agent, date)] = figures;
        }
        return result;
    }

    private sealed class Day
    {
        public int Handled;
        public long ResolutionTicks;
        public int Received;
        public int Ratings;
        public long ScoreSum;
    }

    private static decimal Round2(decimal value) => Math.Round(value, 2, MidpointRounding.AwayFromZero);

    private static async Task<(int Inserted, int Updated, int Deleted, int Unchanged)> WriteAsync(AppDbContext db, Guid organizationId, DateOnly from, DateOnly to,
        IReadOnlyCollection<Guid>? agents, Dictionary<(Guid Agent, DateOnly Date), AgentDayFigures> figures, CancellationToken ct)
    {
        var agentList = agents?.ToList();
        var query = db.AgentAnalytics.Where(a => a.OrganizationId == organizationId && a.Date >= from && a.Date <= to);
        if (agentList is not null) query = query.Where(a => agentList.Contains(a.AgentId));
        var existing = await query.ToListAsync(ct);
        int inserted = 0, updated = 0, deleted = 0, unchanged = 0;
        var seen = new HashSet<(Guid, DateOnly)>();
        foreach (var row in existing)
        {
            if (!seen.Add((row.AgentId, row.Date)) || !figures.TryGetValue((row.AgentId, row.Date), out var f))
            {
                db.AgentAnalytics.Remove(row); // no longer supported by the facts (or a duplicate from before the unique index)
                deleted++;
                continue;
            }
            if (row.ConversationsHandled == f.ConversationsHandled && row.AvgResolutionTimeMinutes == f.AvgResolutionTimeMinutes
                && row.CustomerSatisfactionScore == f.CustomerSatisfactionScore && row.AiEscalationsReceived == f.AiEscalationsReceived)
            {
                unchanged++;
                continue;
            }
            row.ConversationsHandled = f.ConversationsHandled;
            row.AvgResolutionTimeMinutes = f.AvgResolutionTimeMinutes;
            row.CustomerSatisfactionScore = f.CustomerSatisfactionScore;
            row.AiEscalationsReceived = f.AiEscalationsReceived;
            updated++;
        }
        foreach (var ((agent, date), f) in figures)
        {
            if (seen.Contains((agent, date))) continue;
            db.AgentAnalytics.Add(new AgentAnalytics
            {
                AgentId = agent, OrganizationId = organizationId, Date = date, ConversationsHandled = f.ConversationsHandled,
                AvgResolutionTimeMinutes = f.AvgResolutionTimeMinutes, CustomerSatisfactionScore = f.CustomerSatisfactionScore,
                AiEscalationsReceived = f.AiEscalationsReceived,
            });
            inserted++;
        }
        if (inserted + updated + deleted > 0) await db.SaveChangesAsync(ct);
        return (inserted, updated, deleted, unchanged);
    }

    /// <summary>The local date of an instant in a time zone.</summary>
    public static DateOnly LocalDate(DateTimeOffset at, TimeZoneInfo zone) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, zone).DateTime);

    /// <summary>The organization's time zone (organizations.time_zone, IANA); UTC when unknown to this machine.</summary>
    public static async Task<TimeZoneInfo> ZoneAsync(AppDbContext db, Guid organizationId, CancellationToken ct)
    {
        var id = await db.Organizations.AsNoTracking().Where(o => o.Id == organizationId).Select(o => o.TimeZone).SingleOrDefaultAsync(ct);
        return TimeZoneInfo.TryFindSystemTimeZoneById(string.IsNullOrWhiteSpace(id) ? "UTC" : id, out var zone) ? zone : TimeZoneInfo.Utc;
    }
}
