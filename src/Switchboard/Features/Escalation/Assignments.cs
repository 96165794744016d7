using System.Collections.Concurrent;
using System.Data.Common;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Conversations;
using Switchboard.Features.Organizations;

namespace Switchboard.Features.Escalation;

public enum AssignStatus
{
    Assigned,

    /// <summary>No agent the plan allows is online with free capacity: the escalation waits in the queue.</summary>
    Queued,

    /// <summary>The escalation already has an agent, or is over.</summary>
    NotWaiting,

    /// <summary>The chosen agent is at capacity, offline, or not an agent of the organization.</summary>
    AgentUnavailable,
}

public sealed record AssignResult(AssignStatus Status, Guid? AgentId = null, string? AgentName = null, string? Detail = null);

/// <summary>
/// Gives escalated sessions to agents. The capacity guarantee is the database's: one conditional UPDATE
/// raises an agent's active_conversations only while it is below their capacity (and the rule's), in the
/// same transaction that sets the escalation's agent only while it has none. Concurrent escalations, on
/// one node or several, can therefore never put an agent over capacity nor give one session two agents.
/// </summary>
public sealed class Assignments(SystemDb systemDb, IEventBus events, QueueSignal queue, ILogger<Assignments> logger,
    TimeProvider clock, Analytics.AgentAnalyticsUpdater analytics)
{
    /// <summary>Assigns a waiting escalation by its plan's strategy; it stays queued when nobody is free.</summary>
    public async Task<AssignResult> AssignAsync(Guid escalationId, CancellationToken ct)
    {
        SessionEscalation? escalation;
        List<Candidate> candidates;
        await using (var db = systemDb.CreateContext())
        {
            escalation = await db.Escalations.AsNoTracking().SingleOrDefaultAsync(e => e.Id == escalationId, ct);
            if (escalation is null || escalation.EndedAt is not null || escalation.AssignedAgentId is not null)
            {
                return new AssignResult(AssignStatus.NotWaiting);
            }
            candidates = await CandidatesAsync(db, escalation.OrganizationId, ct);
        }
        var plan = LogicOf(escalation.AssignmentLogic);
        foreach (var candidate in Order(plan, candidates))
        {
            var result = await TryAssignAsync(escalation, candidate.UserId, AssignmentHow.Auto, null, requireOnline: true, plan.MaxConcurrent, ct);
            if (result.Status is AssignStatus.Assigned or AssignStatus.NotWaiting) return result;
        }
        return new AssignResult(AssignStatus.Queued);
    }

    /// <summary>
    /// Gives a session's open escalation to one agent: the agent taking it, or an admin assigning (or
    /// reassigning) it by hand. Capacity is honoured here too; the agent must not be offline.
    /// </summary>
    public async Task<AssignResult> AssignToAsync(Guid escalationId, Guid agentId, string how, Guid? by, CancellationToken ct)
    {
        SessionEscalation? escalation;
        await using (var db = systemDb.CreateContext())
        {
            escalation = await db.Escalations.AsNoTracking().SingleOrDefaultAsync(e => e.Id == escalationId, ct);
            if (escalation is null || escalation.EndedAt is not null) return new AssignResult(AssignStatus.NotWaiting);
            if (escalation.AssignedAgentId == agentId) return new AssignResult(AssignStatus.Assigned, agentId, await NameAsync(db, agentId, ct));
        }
        return escalation.AssignedAgentId is { } current
            ? await ReassignAsync(escalation, current, agentId, by, ct)
            : await TryAssignAsync(escalation, agentId, how, by, requireOnline: false, null, ct);
    }

    /// <summary>Ends the agent's turn with an escalation (resolved or handed back) and frees their capacity.</summary>
    public async Task ReleaseAsync(AppDbContext db, SessionEscalation escalation, string reason, CancellationToken ct, DateTimeOffset? at = null)
    {
        if (escalation.AssignedAgentId is not { } agent) return;
        var now = at ?? clock.GetUtcNow();
        await db.OrganizationMembers.Where(m => m.OrganizationId == escalation.OrganizationId && m.UserId == agent && m.ActiveConversations > 0)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.ActiveConversations, m => m.ActiveConversations - 1), ct);
        await db.Assignments.Where(a => a.EscalationId == escalation.Id && a.AgentId == agent && a.ReleasedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.ReleasedAt, now).SetProperty(a => a.ReleaseReason, reason), ct);
    }

    /// <summary>
    /// Assigns waiting escalations of an organization, most urgent first, then oldest, until no agent is
    /// free. Called when an agent comes online or frees capacity, and by the periodic sweep.
    /// </summary>
    public async Task<int> DrainAsync(Guid organizationId, CancellationToken ct)
    {
        var gate = _drains.GetOrAdd(organizationId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            var assigned = 0;
            List<Guid> waiting;
            await using (var db = systemDb.CreateContext())
            {
                waiting = await db.Escalations.AsNoTracking()
                    .Where(e => e.OrganizationId == organizationId && e.EndedAt == null && e.AssignedAgentId == null)
                    .OrderByDescending(e => e.Priority).ThenBy(e => e.EscalatedAt).ThenBy(e => e.Id)
                    .Select(e => e.Id).Take(DrainBatch).ToListAsync(ct);
            }
            foreach (var id in waiting)
            {
                await using (var db = systemDb.CreateContext())
                {
                    if (!await AnyoneFreeAsync(db, organizationId, ct)) break;
                }
                if ((await AssignAsync(id, ct)).Status == AssignStatus.Assigned) assigned++;
            }
            return assigned;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Sets every agent's active_conversations to the open escalations they hold: repairs a count left
    /// wrong by a crash between statements of different transactions. Run at start-up.
    /// </summary>
    public async Task ReconcileAsync(CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var held = await HeldAsync(db, null, ct);
        var suspects = await db.OrganizationMembers.AsNoTracking().Where(m => m.ActiveConversations > 0 || held.Select(h => h.Agent).Contains(m.UserId))
            .Select(m => new { m.OrganizationId, m.UserId, m.ActiveConversations }).ToListAsync(ct);
        foreach (var member in suspects.Where(m => m.ActiveConversations != held.Count(h => h.OrganizationId == m.OrganizationId && h.Agent == m.UserId)))
        {
            // Recount under the agent's row lock, so an assignment committing meanwhile is neither lost nor counted twice.
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await db.OrganizationMembers.Where(m => m.OrganizationId == member.OrganizationId && m.UserId == member.UserId)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.ActiveConversations, m => m.ActiveConversations), ct);
            var count = (await HeldAsync(db, member.UserId, ct)).Count(h => h.OrganizationId == member.OrganizationId);
            await db.OrganizationMembers.Where(m => m.OrganizationId == member.OrganizationId && m.UserId == member.UserId)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.ActiveConversations, count), ct);
            await tx.CommitAsync(ct);
            logger.LogWarning("Agent {Agent} of {Org} had active_conversations {Was} but holds {Count} conversations: repaired",
                member.UserId, member.OrganizationId, member.ActiveConversations, count);
        }
    }

    private sealed record Held(Guid OrganizationId, Guid Agent);

    private static Task<List<Held>> HeldAsync(AppDbContext db, Guid? agent, CancellationToken ct) =>
        db.Escalations.AsNoTracking().Where(e => e.EndedAt == null && e.AssignedAgentId != null && (agent == null || e.AssignedAgentId == agent))
            .Select(e => new Held(e.OrganizationId, e.AssignedAgentId!.Value)).ToListAsync(ct);

    private const int DrainBatch = 200;
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _drains = new();

    private sealed record Candidate(Guid UserId, string Name, int Active, int Max, List<string> Skills, DateTimeOffset? LastAssignedAt);

    private static Task<List<Candidate>> CandidatesAsync(AppDbContext db, Guid organizationId, CancellationToken ct) =>
        db.OrganizationMembers.AsNoTracking()
            .Where(m => m.OrganizationId == organizationId && (m.Role == OrgRoles.Agent || m.Role == OrgRoles.Admin)
                        && m.Availability == AgentAvailability.Online && m.ActiveConversations < m.MaxConcurrent)
            .Select(m => new Candidate(m.UserId, m.User!.DisplayName, m.ActiveConversations, m.MaxConcurrent, m.Skills, m.LastAssignedAt))
            .ToListAsync(ct);

    private static Task<bool> AnyoneFreeAsync(AppDbContext db, Guid organizationId, CancellationToken ct) =>
        db.OrganizationMembers.AnyAsync(m => m.OrganizationId == organizationId && (m.Role == OrgRoles.Agent || m.Role == OrgRoles.Admin)
                                             && m.Availability == AgentAvailability.Online && m.ActiveConversations < m.MaxConcurrent, ct);

    /// <summary>
    /// The escalation's assignment logic, read by the rules' one parser. It was copied from a validated rule
    /// (or written by the app); should it still not parse, the default logic applies.
    /// </summary>
    private static AssignmentLogic LogicOf(string? json)
    {
        try
        {
            return EscalationRuleDefinition.ParseAssignment(json);
        }
        catch (Exception e) when (EscalationRuleDefinition.IsParseError(e))
        {
            return AssignmentLogic.Default;
        }
    }

    /// <summary>The agents to try, best first. The database has the last word on each (capacity may have changed since).</summary>
    private static IEnumerable<Candidate> Order(AssignmentLogic plan, List<Candidate> candidates)
    {
        var free = candidates.Where(c => c.Active < Math.Min(c.Max, plan.MaxConcurrent ?? int.MaxValue)).ToList();
        IEnumerable<Candidate> chosen = plan.Strategy switch
        {
            AssignmentStrategy.LeastBusy => free.OrderBy(c => c.Active).ThenBy(c => (double)c.Active / Math.Max(1, c.Max)).ThenBy(LastAssigned),
            AssignmentStrategy.Skills => free.Where(c => (plan.RequiredSkills ?? []).All(s => c.Skills.Contains(s, StringComparer.OrdinalIgnoreCase)))
                .OrderBy(c => c.Active).ThenBy(LastAssigned),
            AssignmentStrategy.SpecificAgents => free.Where(c => (plan.AgentIds ?? []).Contains(c.UserId)).OrderBy(LastAssigned).ThenBy(c => c.Active),
            _ => free.OrderBy(LastAssigned).ThenBy(c => c.UserId),
        };
        var list = chosen.ToList();
        if (plan.Fallback == AssignmentFallback.AnyAgent)
        {
            // Anyone online with room, by the organization's own capacity, after the plan's own agents.
            list.AddRange(candidates.Where(c => !list.Contains(c)).OrderBy(c => c.Active).ThenBy(LastAssigned));
        }
        return list;
    }

    private static DateTimeOffset LastAssigned(Candidate c) => c.LastAssignedAt ?? DateTimeOffset.MinValue;

    private async Task<AssignResult> TryAssignAsync(SessionEscalation escalation, Guid agentId, string how, Guid? by, bool requireOnline,
        int? ruleCap, CancellationToken ct)
    {
        var cap = ruleCap ?? int.MaxValue;
        var outcome = await Retry(async () =>
        {
            await using var db = systemDb.CreateContext();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var now = clock.GetUtcNow();
            // The guarantee: the agent's count rises only while below capacity, in one statement the database serializes per agent.
            var took = await db.OrganizationMembers
                .Where(m => m.OrganizationId == escalation.OrganizationId && m.UserId == agentId
                            && (m.Role == OrgRoles.Agent || m.Role == OrgRoles.Admin)
                            && (requireOnline ? m.Availability == AgentAvailability.Online : m.Availability != AgentAvailability.Offline)
                            && m.ActiveConversations < m.MaxConcurrent && m.ActiveConversations < cap)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.ActiveConversations, m => m.ActiveConversations + 1)
                    .SetProperty(m => m.LastAssignedAt, now), ct);
            if (took == 0) return AssignStatus.AgentUnavailable;
            var got = await db.Escalations.Where(e => e.Id == escalation.Id && e.EndedAt == null && e.AssignedAgentId == null)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.AssignedAgentId, agentId).SetProperty(e => e.AssignedAt, now), ct);
            if (got == 0) return AssignStatus.NotWaiting; // another node or request was first: the transaction rolls back
            db.Assignments.Add(new SessionAssignment
            {
                OrganizationId = escalation.OrganizationId, SessionId = escalation.SessionId, EscalationId = escalation.Id,
                AgentId = agentId, How = how, AssignedBy = by, AssignedAt = now,
            });
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return AssignStatus.Assigned;
        }, ct);
        if (outcome != AssignStatus.Assigned)
        {
            return new AssignResult(outcome, Detail: outcome == AssignStatus.AgentUnavailable
                ? "The agent is offline, at capacity, or not an agent of this organization."
                : "The conversation is no longer waiting for an agent.");
        }
        return await AnnounceAsync(escalation, agentId, ct);
    }

    private async Task<AssignResult> ReassignAsync(SessionEscalation escalation, Guid from, Guid to, Guid? by, CancellationToken ct)
    {
        var outcome = await Retry(async () =>
        {
            await using var db = systemDb.CreateContext();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var now = clock.GetUtcNow();
            var took = await db.OrganizationMembers
                .Where(m => m.OrganizationId == escalation.OrganizationId && m.UserId == to && (m.Role == OrgRoles.Agent || m.Role == OrgRoles.Admin)
                            && m.Availability != AgentAvailability.Offline && m.ActiveConversations < m.MaxConcurrent)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.ActiveConversations, m => m.ActiveConversations + 1).SetProperty(m => m.LastAssignedAt, now), ct);
            if (took == 0) return AssignStatus.AgentUnavailable;
            var moved = await db.Escalations.Where(e => e.Id == escalation.Id && e.EndedAt == null && e.AssignedAgentId == from)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.AssignedAgentId, to).SetProperty(e => e.AssignedAt, now), ct);
            if (moved == 0) return AssignStatus.NotWaiting;
            await ReleaseAsync(db, escalation, "reassigned", ct, now); // escalation.AssignedAgentId is from
            db.Assignments.Add(new SessionAssignment
            {
                OrganizationId = escalation.OrganizationId, SessionId = escalation.SessionId, EscalationId = escalation.Id,
                AgentId = to, How = AssignmentHow.Manual, AssignedBy = by, AssignedAt = now,
            });
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return AssignStatus.Assigned;
        }, ct);
        if (outcome != AssignStatus.Assigned)
        {
            return new AssignResult(outcome, Detail: outcome == AssignStatus.AgentUnavailable
                ? "The agent is offline, at capacity, or not an agent of this organization."
                : "The conversation changed hands meanwhile; reload it.");
        }
        queue.Poke(escalation.OrganizationId); // the previous agent has room again
        return await AnnounceAsync(escalation, to, ct);
    }

    /// <summary>Tells the customer who joined and everyone watching the session who has it.</summary>
    private async Task<AssignResult> AnnounceAsync(SessionEscalation escalation, Guid agentId, CancellationToken ct)
    {
        analytics.Changed(escalation.SessionId); // the turn is committed: agent_analytics is recomputed in the background
        await using var db = systemDb.CreateContext();
        var name = await NameAsync(db, agentId, ct);
        events.Publish(new SessionAssigned(escalation.OrganizationId, escalation.SessionId, agentId, name));
        var metadata = JsonSerializer.Serialize(new { agent = new { id = agentId, name } });
        var posted = await MessageLog.AppendAsync(db, escalation.SessionId, MessageTypes.System, $"{name} has joined the chat.", null, null, ct, metadata);
        await MessageLog.PublishAsync(db, events, escalation.OrganizationId, escalation.SessionId, posted.Seq, ct);
        logger.LogInformation("Session {Session} assigned to {Agent}", escalation.SessionId, agentId);
        return new AssignResult(AssignStatus.Assigned, agentId, name);
    }

    /// <summary>The name customers and colleagues see for an agent: the display name, else the e-mail address.</summary>
    public static async Task<string> NameAsync(AppDbContext db, Guid userId, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => new { u.DisplayName, u.Email }).SingleOrDefaultAsync(ct);
        return string.IsNullOrWhiteSpace(user?.DisplayName) ? user?.Email ?? "An agent" : user.DisplayName;
    }

    /// <summary>PostgreSQL may pick a transaction as a deadlock victim (two reassignments crossing): run it again.</summary>
    private static async Task<T> Retry<T>(Func<Task<T>> work, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await work();
            }
            catch (Exception e) when (attempt < 5 && IsTransient(e))
            {
                await Task.Delay(Random.Shared.Next(5, 25 * attempt), ct);
            }
        }
    }

    private static bool IsTransient(Exception e) => e switch
    {
        DbException { SqlState: "40P01" or "40001" } => true,
        Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 5 or 6 } => true, // busy, locked
        DbUpdateException { InnerException: { } inner } => IsTransient(inner),
        InvalidOperationException { InnerException: { } inner } => IsTransient(inner),
        _ => false,
    };
}

/// <summary>Wakes the queue drainer for an organization (an agent came online or freed capacity).</summary>
public sealed class QueueSignal
{
    private readonly Channel<Guid> _orgs = Channel.CreateUnbounded<Guid>(new UnboundedChannelOptions { SingleReader = true });

    public void Poke(Guid organizationId) => _orgs.Writer.TryWrite(organizationId);

    public ChannelReader<Guid> Reader => _orgs.Reader;
}

/// <summary>Configuration <c>Escalation:QueueSweepSeconds</c>.</summary>
public sealed class EscalationQueueOptions
{
    /// <summary>How often every organization's queue is looked at, whatever the signals (another node's agents, missed pokes). Default 5.</summary>
    public double QueueSweepSeconds { get; set; } = 5;
}

/// <summary>
/// Assigns queued escalations the moment an agent can take them: on a poke from this node, and on a
/// periodic sweep of all organizations with a queue (which covers pokes on other nodes). Repairs agents'
/// counts at start-up.
/// </summary>
public sealed class QueueDrainer(Assignments assignments, QueueSignal signal, SystemDb systemDb,
    Microsoft.Extensions.Options.IOptions<EscalationQueueOptions> options, ILogger<QueueDrainer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await assignments.ReconcileAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Could not reconcile agents' active conversation counts");
        }
        var sweep = TimeSpan.FromSeconds(Math.Max(0.2, options.Value.QueueSweepSeconds));
        var nextSweep = DateTimeOffset.UtcNow;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var pending = new HashSet<Guid>();
                if (DateTimeOffset.UtcNow >= nextSweep)
                {
                    await using var db = systemDb.CreateContext();
                    pending.UnionWith(await db.Escalations.AsNoTracking().Where(e => e.EndedAt == null && e.AssignedAgentId == null)
                        .Select(e => e.OrganizationId).Distinct().ToListAsync(stoppingToken));
                    nextSweep = DateTimeOffset.UtcNow + sweep;
                }
                while (signal.Reader.TryRead(out var org)) pending.Add(org);
                foreach (var org in pending)
                {
                    await assignments.DrainAsync(org, stoppingToken);
                }
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                wait.CancelAfter(nextSweep - DateTimeOffset.UtcNow is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero);
                try
                {
                    await signal.Reader.WaitToReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // time for the sweep
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "The escalation queue could not be drained; trying again shortly");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
