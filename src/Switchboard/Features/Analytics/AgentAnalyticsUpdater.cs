using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Data;
using Switchboard.Features.Escalation;
using Switchboard.Features.Organizations;

namespace Switchboard.Features.Analytics;

/// <summary>Configuration section <c>Analytics</c>.</summary>
public sealed class AnalyticsOptions
{
    /// <summary>Recompute the touched agent-days as escalations, assignments and ratings happen (default true). Off: only a rebuild fills agent_analytics.</summary>
    public bool Live { get; set; } = true;

    /// <summary>
    /// How long live changes gather before their agent-days are recomputed (default 1000 ms, 0 to 60000): however many
    /// conversations change meanwhile, each touched agent-day is recomputed once, off the path of the people chatting.
    /// </summary>
    public int LiveDelayMilliseconds { get; set; } = 1000;

    /// <summary>
    /// When the live loop starts, it first recomputes this many recent local days (today included) of every organization,
    /// adding or correcting rows, so that changes queued when a node stopped are not lost (default 2, 0 to 366; 0: off).
    /// </summary>
    public int RepairDaysAtStartup { get; set; } = 2;
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
public sealed class AgentAnalyticsUpdater(SystemDb systemDb, IOptionsMonitor<AnalyticsOptions> options, TimeProvider clock, ILogger<AgentAnalyticsUpdater> logger)
{
    /// <summary>Days per batch of a rebuild: the facts of one organization for this many days are read at once.</summary>
    public const int RebuildBatchDays = 31;

    private readonly System.Threading.Channels.Channel<Guid> _changed =
        System.Threading.Channels.Channel.CreateUnbounded<Guid>(new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true });
    private int _pending;
    private long _recomputations;
    private long _liveTicks;
    private TaskCompletionSource _flush = NewFlush();

    private static TaskCompletionSource NewFlush() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// A session's facts changed (committed): its agent-days are recomputed in the background (<see cref="AgentAnalyticsLiveService"/>),
    /// off the caller's path, together with everything else that changed within <see cref="AnalyticsOptions.LiveDelayMilliseconds"/>.
    /// Lost only if the process stops first; the start-up repair (<see cref="AnalyticsOptions.RepairDaysAtStartup"/>) or a rebuild mends that.
    /// </summary>
    public void Changed(Guid sessionId)
    {
        if (!options.CurrentValue.Live) return;
        Interlocked.Increment(ref _pending);
        if (!_changed.Writer.TryWrite(sessionId)) Interlocked.Decrement(ref _pending);
    }

    /// <summary>Changes queued and not yet recomputed.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Agent-day groups (one organization, one local day, its touched agents) recomputed live so far.</summary>
    public long Recomputations => Interlocked.Read(ref _recomputations);

    /// <summary>Time spent recomputing live changes so far (what the background work costs the server).</summary>
    public TimeSpan LiveWork => TimeSpan.FromTicks(Interlocked.Read(ref _liveTicks));

    /// <summary>Recompute what is queued now instead of at the end of the gathering delay.</summary>
    public void Flush() => Volatile.Read(ref _flush).TrySetResult();

    /// <summary>
    /// Waits until every queued change is recomputed (tests, benchmarks, shutdown), at most <paramref name="timeout"/>;
    /// <paramref name="flush"/>: without waiting for the gathering delay.
    /// </summary>
    public async Task<bool> IdleAsync(TimeSpan timeout, CancellationToken ct, bool flush = true)
    {
        var until = DateTime.UtcNow + timeout;
        while (Pending > 0)
        {
            if (DateTime.UtcNow > until) return false;
            if (flush) Flush();
            await Task.Delay(10, ct);
        }
        return true;
    }

    /// <summary>
    /// The background loop: first the start-up repair, then, whenever changes arrive, gathers for the configured delay and
    /// recomputes every agent-day the gathered sessions touch, each once.
    /// </summary>
    public async Task ProcessQueueAsync(CancellationToken ct)
    {
        // Counted as pending (before the first await, so within the host's start) so that IdleAsync also waits for the repair.
        Interlocked.Increment(ref _pending);
        try
        {
            await RepairRecentDaysAsync(ct);
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }
        while (true)
        {
            // A flush applies to the changes queued when it was asked for: those are done now.
            Volatile.Write(ref _flush, NewFlush());
            if (!await _changed.Reader.WaitToReadAsync(ct)) break;
            await GatherAsync(ct);
            var batch = new List<Guid>();
            while (_changed.Reader.TryRead(out var id)) batch.Add(id);
            try
            {
                await SessionsChangedAsync([.. batch.Distinct()], ct);
            }
            finally
            {
                Interlocked.Add(ref _pending, -batch.Count);
            }
        }
    }

    private async Task GatherAsync(CancellationToken ct)
    {
        var delay = Math.Clamp(options.CurrentValue.LiveDelayMilliseconds, 0, 60_000);
        var flush = Volatile.Read(ref _flush);
        if (delay == 0 || flush.Task.IsCompleted) return;
        using var wake = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await Task.WhenAny(Task.Delay(delay, wake.Token), flush.Task);
        await wake.CancelAsync();
        ct.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Recomputes the last <see cref="AnalyticsOptions.RepairDaysAtStartup"/> local days of every organization, adding and correcting
    /// rows (never deleting: live facts only grow). Changes queued while it runs are recomputed after it, so nothing it reads is stale.
    /// </summary>
    public async Task RepairRecentDaysAsync(CancellationToken ct)
    {
        var days = Math.Clamp(options.CurrentValue.RepairDaysAtStartup, 0, 366);
        if (!options.CurrentValue.Live || days == 0) return;
        try
        {
            int inserted = 0, updated = 0;
            foreach (var (id, zone) in await OrganizationsAsync(null, ct))
            {
                var today = TimeZones.LocalDate(clock.GetUtcNow(), zone);
                var (i, u, _, _) = await RecomputeAsync(id, zone, today.AddDays(1 - days), today, null, ct, deleteUnsupported: false);
                inserted += i;
                updated += u;
            }
            if (inserted + updated > 0)
            {
                logger.LogWarning("agent_analytics repaired at start-up: {Inserted} rows added and {Updated} corrected over the last {Days} days " +
                                  "(live updates were lost when the server stopped)", inserted, updated, days);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogError(e, "agent_analytics could not be repaired at start-up; run `switchboard analytics rebuild` for the last days");
        }
    }

    /// <summary>Every organization (or the one with <paramref name="slug"/>) with its time zone, by slug.</summary>
    private async Task<List<(Guid Id, TimeZoneInfo Zone)>> OrganizationsAsync(string? slug, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var query = db.Organizations.AsNoTracking();
        if (slug is not null) query = query.Where(o => o.Slug == slug);
        var rows = await query.OrderBy(o => o.Slug).Select(o => new { o.Id, o.TimeZone }).ToListAsync(ct);
        return [.. rows.Select(o => (o.Id, TimeZones.OrUtc(o.TimeZone)))];
    }

    /// <summary>
    /// Recomputes every agent-day this escalation's facts touch (its assignment turns' days, its resolution day,
    /// the session's rating day). Never throws for a failure of its own: it is logged, and a rebuild repairs.
    /// </summary>
    public async Task EscalationChangedAsync(Guid escalationId, CancellationToken ct)
    {
        if (!options.CurrentValue.Live) return;
        Guid? sessionId;
        await using (var db = systemDb.CreateContext())
        {
            sessionId = await db.Escalations.AsNoTracking().Where(e => e.Id == escalationId).Select(e => (Guid?)e.SessionId).SingleOrDefaultAsync(ct);
        }
        if (sessionId is not null) await SessionsChangedAsync([sessionId.Value], ct);
    }

    /// <summary>As <see cref="EscalationChangedAsync"/>, for every escalation and the rating of a session.</summary>
    public Task SessionChangedAsync(Guid sessionId, CancellationToken ct) => SessionsChangedAsync([sessionId], ct);

    /// <summary>
    /// Recomputes every agent-day the facts of these sessions touch, each (organization, day) once for all its touched agents.
    /// A failure is logged per day and does not stop the others; a rebuild repairs it.
    /// </summary>
    public async Task SessionsChangedAsync(IReadOnlyCollection<Guid> sessionIds, CancellationToken ct)
    {
        if (!options.CurrentValue.Live || sessionIds.Count == 0) return;
        var started = Stopwatch.GetTimestamp();
        try
        {
            await RecomputeSessionsAsync(sessionIds, ct);
        }
        finally
        {
            Interlocked.Add(ref _liveTicks, Stopwatch.GetElapsedTime(started).Ticks);
        }
    }

    private async Task RecomputeSessionsAsync(IReadOnlyCollection<Guid> sessionIds, CancellationToken ct)
    {
        HashSet<(Guid Organization, DateOnly Date, Guid Agent)> touched;
        Dictionary<Guid, TimeZoneInfo> zones;
        try
        {
            (touched, zones) = await TouchedAsync(sessionIds, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogError(e, "agent_analytics could not be updated for {Count} changed sessions; `analytics rebuild` repairs it", sessionIds.Count);
            return;
        }
        foreach (var day in touched.GroupBy(t => (t.Organization, t.Date)))
        {
            try
            {
                await RecomputeAsync(day.Key.Organization, zones[day.Key.Organization], day.Key.Date, day.Key.Date, [.. day.Select(t => t.Agent)], ct);
                Interlocked.Increment(ref _recomputations);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                logger.LogError(e, "agent_analytics could not be updated for organization {Organization} on {Date}; `analytics rebuild --from {Date} --to {Date}` repairs it",
                    day.Key.Organization, day.Key.Date, day.Key.Date, day.Key.Date);
            }
        }
    }

    /// <summary>The (organization, local day, agent) triples the sessions' assignment turns, resolutions and ratings fall on, and the organizations' zones.</summary>
    private async Task<(HashSet<(Guid Organization, DateOnly Date, Guid Agent)> Touched, Dictionary<Guid, TimeZoneInfo> Zones)> TouchedAsync(IReadOnlyCollection<Guid> sessionIds, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var touched = new HashSet<(Guid, DateOnly, Guid)>();
        var zones = new Dictionary<Guid, TimeZoneInfo>();
        async Task<TimeZoneInfo> ZoneOf(Guid organizationId) =>
            zones.TryGetValue(organizationId, out var zone) ? zone : zones[organizationId] = await ZoneAsync(db, organizationId, ct);
        foreach (var chunk in sessionIds.Chunk(500))
        {
            var ids = chunk.ToList();
            var turns = await db.Assignments.AsNoTracking().Where(a => ids.Contains(a.SessionId))
                .Select(a => new { a.OrganizationId, a.AgentId, a.AssignedAt, a.EscalationId }).ToListAsync(ct);
            var ends = await db.Escalations.AsNoTracking().Where(e => ids.Contains(e.SessionId) && e.EndedAt != null)
                .Select(e => new { e.Id, EndedAt = e.EndedAt!.Value }).ToDictionaryAsync(e => e.Id, e => e.EndedAt, ct);
            var ratings = await db.Csat.AsNoTracking().Where(c => ids.Contains(c.SessionId) && c.AgentId != null)
                .Select(c => new { c.OrganizationId, AgentId = c.AgentId!.Value, c.CreatedAt }).ToListAsync(ct);
            foreach (var turn in turns)
            {
                var zone = await ZoneOf(turn.OrganizationId);
                touched.Add((turn.OrganizationId, TimeZones.LocalDate(turn.AssignedAt, zone), turn.AgentId));
                if (ends.TryGetValue(turn.EscalationId, out var ended)) touched.Add((turn.OrganizationId, TimeZones.LocalDate(ended, zone), turn.AgentId));
            }
            foreach (var rating in ratings) touched.Add((rating.OrganizationId, TimeZones.LocalDate(rating.CreatedAt, await ZoneOf(rating.OrganizationId)), rating.AgentId));
        }
        return (touched, zones);
    }

    /// <summary>
    /// Recomputes one organization's agent-days from <paramref name="from"/> to <paramref name="to"/> (local dates in <paramref name="zone"/>,
    /// the organization's), for the given
    /// agents or all: writes the rows the facts support, deletes the others. Retried when a concurrent update inserted the same row first.
    /// On PostgreSQL, recomputations of one organization run one at a time across all servers (a transaction-scoped advisory lock,
    /// <see cref="LockKey"/>), so one that waited reads the facts after the other wrote and never writes older figures over newer ones.
    /// </summary>
    public async Task<(int Inserted, int Updated, int Deleted, int Unchanged)> RecomputeAsync(Guid organizationId, TimeZoneInfo zone, DateOnly from,
        DateOnly to, IReadOnlyCollection<Guid>? agents, CancellationToken ct, bool deleteUnsupported = true)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var db = systemDb.CreateContext();
                await using var transaction = db.Database.IsNpgsql() ? await db.Database.BeginTransactionAsync(ct) : null;
                if (transaction is not null) await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({LockKey(organizationId)})", ct);
                var figures = await ComputeAsync(db, organizationId, zone, from, to, agents, ct);
                var written = await WriteAsync(db, organizationId, from, to, agents, figures, deleteUnsupported, ct);
                if (transaction is not null) await transaction.CommitAsync(ct);
                return written;
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
        var organizations = await OrganizationsAsync(organizationSlug, ct);
        if (organizationSlug is not null && organizations.Count == 0)
        {
            throw new InvalidOperationException($"No organization has the slug '{organizationSlug}'.");
        }
        var days = to.DayNumber - from.DayNumber + 1;
        var total = days * organizations.Count;
        int done = 0, inserted = 0, updated = 0, deleted = 0, unchanged = 0;
        progress?.Report((0, total));
        foreach (var (organization, zone) in organizations)
        {
            for (var start = from; start <= to; start = start.AddDays(RebuildBatchDays))
            {
                var end = start.AddDays(RebuildBatchDays - 1) is var e && e > to ? to : e;
                var (i, u, d, n) = await RecomputeAsync(organization, zone, start, end, null, ct);
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
            var key = (agent, TimeZones.LocalDate(at, zone));
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
        IReadOnlyCollection<Guid>? agents, Dictionary<(Guid Agent, DateOnly Date), AgentDayFigures> figures, bool deleteUnsupported, CancellationToken ct)
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
                if (!deleteUnsupported)
                {
                    unchanged++;
                    continue;
                }
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

    /// <summary>The PostgreSQL advisory lock key of an organization's agent_analytics recomputations (the id's halves folded, tagged).</summary>
    public static long LockKey(Guid organizationId)
    {
        Span<byte> bytes = stackalloc byte[16];
        organizationId.TryWriteBytes(bytes);
        return BitConverter.ToInt64(bytes[..8]) ^ BitConverter.ToInt64(bytes[8..]) ^ 0x616e616c79746963; // "analytic"
    }

    /// <summary>The organization's time zone (organizations.time_zone, IANA); UTC when unknown to this machine.</summary>
    public static async Task<TimeZoneInfo> ZoneAsync(AppDbContext db, Guid organizationId, CancellationToken ct)
    {
        var id = await db.Organizations.AsNoTracking().Where(o => o.Id == organizationId).Select(o => o.TimeZone).SingleOrDefaultAsync(ct);
        return TimeZones.OrUtc(id);
    }
}
