using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Conversations;
using Switchboard.Features.Organizations;

namespace Switchboard.Features.Escalation;

/// <summary>A conversation as the inbox lists it: who, why it escalated, how urgent, who has it, the last word.</summary>
public sealed record InboxItem(
    Guid SessionId,
    string Status,
    string? CustomerName,
    Guid? EscalationId,
    int? Priority,
    string? RuleName,
    string? Reason,
    DateTimeOffset? EscalatedAt,
    Guid? AssignedAgentId,
    string? AssignedAgentName,
    DateTimeOffset? AssignedAt,
    string? LastMessage,
    string? LastMessageType,
    DateTimeOffset UpdatedAt);

public sealed record AgentStatus(Guid UserId, string DisplayName, string Role, string Availability, int ActiveConversations, int MaxConcurrent, List<string> Skills);

public sealed record NoteResponse(Guid Id, Guid SessionId, Guid AgentId, string AgentName, string Content, DateTimeOffset CreatedAt);

public sealed record AssignmentRecord(Guid AgentId, string AgentName, string How, Guid? AssignedBy, DateTimeOffset AssignedAt, DateTimeOffset? ReleasedAt, string? ReleaseReason);

public sealed record EscalationRecord(Guid Id, Guid? RuleId, string? RuleName, string Reason, int Priority, DateTimeOffset EscalatedAt,
    Guid? AssignedAgentId, DateTimeOffset? AssignedAt, DateTimeOffset? EndedAt, string? Outcome, List<AssignmentRecord> Assignments);

public static class InboxViews
{
    public const string Queue = "queue";
    public const string Mine = "mine";
    public const string All = "all";
    public static readonly string[] Every = [Queue, Mine, All];
}

public enum DeskStatus { Ok, NotFound, Conflict, Forbidden, Invalid }

/// <summary>The outcome of an agent's action: a value, or what went wrong and on which field.</summary>
public sealed record DeskResult<T>(DeskStatus Status, T? Value = default, string? Field = null, string? Detail = null)
{
    public static implicit operator DeskResult<T>(T value) => new(DeskStatus.Ok, value);
}

public static class Desk
{
    public static DeskResult<T> NotFound<T>(string field, string detail) => new(DeskStatus.NotFound, default, field, detail);
    public static DeskResult<T> Conflict<T>(string field, string detail) => new(DeskStatus.Conflict, default, field, detail);
    public static DeskResult<T> Forbidden<T>(string detail) => new(DeskStatus.Forbidden, default, null, detail);
    public static DeskResult<T> Invalid<T>(string field, string detail) => new(DeskStatus.Invalid, default, field, detail);
}

/// <summary>The actor behind an agent action: who, and whether they are an admin of the organization.</summary>
public sealed record DeskActor(Guid OrganizationId, Guid UserId, bool IsAdmin);

/// <summary>
/// What agents do with conversations, for the HTTP API and the console alike: the inbox lists, taking and
/// assigning, replying, internal notes, typing, resolving, handing back, and their own availability. Callers
/// have checked that the actor is an agent (or admin) of the organization; everything here stays inside it.
/// </summary>
public sealed class AgentDesk(SystemDb systemDb, Escalations escalations, Assignments assignments, QueueSignal queue, IEventBus events)
{
    public const int MaxNoteLength = 4000;

    public async Task<List<InboxItem>> InboxAsync(DeskActor actor, string view, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var open = db.Escalations.AsNoTracking().Where(e => e.OrganizationId == actor.OrganizationId && e.EndedAt == null);
        open = view switch
        {
            InboxViews.Queue => open.Where(e => e.AssignedAgentId == null),
            InboxViews.Mine => open.Where(e => e.AssignedAgentId == actor.UserId),
            _ => open,
        };
        var ordered = view == InboxViews.Queue
            ? open.OrderByDescending(e => e.Priority).ThenBy(e => e.EscalatedAt)
            : open.OrderByDescending(e => e.EscalatedAt);
        var rows = await ordered.Take(500)
            .Select(e => new
            {
                e.SessionId, e.Id, e.Priority, e.RuleName, e.Reason, e.EscalatedAt, e.AssignedAgentId, e.AssignedAt,
                Session = db.Sessions.Where(s => s.Id == e.SessionId).Select(s => new { s.Status, s.CustomerContext, s.UpdatedAt }).First(),
                Agent = db.Users.Where(u => u.Id == e.AssignedAgentId).Select(u => u.DisplayName).FirstOrDefault(),
                Last = db.Messages.Where(m => m.SessionId == e.SessionId).OrderByDescending(m => m.Seq).Select(m => new { m.Content, m.MessageType }).FirstOrDefault(),
            })
            .ToListAsync(ct);
        var items = rows.Select(r => new InboxItem(r.SessionId, r.Session.Status ?? SessionStatus.Escalated, CustomerName(r.Session.CustomerContext), r.Id, r.Priority,
            r.RuleName, r.Reason, r.EscalatedAt, r.AssignedAgentId, r.Agent, r.AssignedAt, Preview(r.Last?.Content), r.Last?.MessageType, r.Session.UpdatedAt)).ToList();
        if (view == InboxViews.All)
        {
            // Admins also see conversations the AI is having now, newest first.
            var live = await db.Sessions.AsNoTracking()
                .Where(s => s.OrganizationId == actor.OrganizationId && s.Status == SessionStatus.Active)
                .OrderByDescending(s => s.UpdatedAt).Take(100)
                .Select(s => new
                {
                    s.Id, s.Status, s.CustomerContext, s.UpdatedAt,
                    Last = db.Messages.Where(m => m.SessionId == s.Id).OrderByDescending(m => m.Seq).Select(m => new { m.Content, m.MessageType }).FirstOrDefault(),
                })
                .ToListAsync(ct);
            items.AddRange(live.Select(s => new InboxItem(s.Id, s.Status ?? SessionStatus.Active, CustomerName(s.CustomerContext), null, null, null, null, null,
                null, null, null, Preview(s.Last?.Content), s.Last?.MessageType, s.UpdatedAt)));
        }
        return items;
    }

    /// <summary>The agent takes a conversation: a waiting one from the queue, or one the AI is having (which escalates it first).</summary>
    public async Task<DeskResult<AssignResult>> TakeAsync(DeskActor actor, Guid sessionId, CancellationToken ct) =>
        await AssignAsync(actor, sessionId, actor.UserId, ct);

    /// <summary>Assigns a conversation to <paramref name="agentId"/>: an agent may take it for themselves; only admins assign others or reassign.</summary>
    public async Task<DeskResult<AssignResult>> AssignAsync(DeskActor actor, Guid sessionId, Guid agentId, CancellationToken ct)
    {
        if (agentId != actor.UserId && !actor.IsAdmin) return Desk.Forbidden<AssignResult>("Only admins assign conversations to other agents.");
        await using var db = systemDb.CreateContext();
        var session = await SessionAsync(db, actor, sessionId, ct);
        if (session is null) return SessionNotFound<AssignResult>(sessionId);
        if (session.Status == SessionStatus.Resolved) return Desk.Conflict<AssignResult>("sessionId", "This conversation is resolved.");
        var escalation = await Escalations.OpenAsync(db, sessionId, ct);
        if (escalation is { AssignedAgentId: { } holder } && holder != agentId && !actor.IsAdmin)
        {
            return Desk.Conflict<AssignResult>("sessionId", "Another agent has this conversation; an admin can reassign it.");
        }
        if (escalation is null)
        {
            if (!await HasRoomAsync(db, actor.OrganizationId, agentId, ct))
            {
                return Desk.Conflict<AssignResult>("agentId", $"{await Assignments.NameAsync(db, agentId, ct)} cannot take it: offline, at capacity, or not an agent of this organization.");
            }
            var name = await Assignments.NameAsync(db, actor.UserId, ct);
            var escalated = await escalations.EscalateAsync(sessionId, EscalationRequest.AgentTookOver(name) with { AssignmentLogic = """{"strategy":"specific_agents","agent_ids":[]}""" }, ct);
            if (escalated.EscalationId is null) return Desk.Conflict<AssignResult>("sessionId", "This conversation is resolved.");
            escalation = await Escalations.OpenAsync(db, sessionId, ct);
            if (escalation is null) return Desk.Conflict<AssignResult>("sessionId", "The conversation changed meanwhile; reload it.");
        }
        var how = agentId == actor.UserId && escalation.AssignedAgentId is null ? AssignmentHow.Taken : AssignmentHow.Manual;
        var result = await assignments.AssignToAsync(escalation.Id, agentId, how, actor.UserId, ct);
        return result.Status switch
        {
            AssignStatus.Assigned => result,
            AssignStatus.AgentUnavailable => Desk.Conflict<AssignResult>("agentId",
                $"{await Assignments.NameAsync(db, agentId, ct)} cannot take it: offline, at capacity, or not an agent of this organization."),
            _ => Desk.Conflict<AssignResult>("sessionId", result.Detail ?? "The conversation is not waiting for an agent."),
        };
    }

    /// <summary>An agent's reply, which the customer sees live. Replying to a waiting conversation takes it.</summary>
    public async Task<DeskResult<PostedMessage>> ReplyAsync(DeskActor actor, Guid sessionId, string? clientMessageId, string? content, CancellationToken ct)
    {
        var errors = MessageLog.Validate(content, clientMessageId);
        if (errors.Count > 0) return Desk.Invalid<PostedMessage>(errors.Keys.First(), errors.Values.First()[0]);
        await using var db = systemDb.CreateContext();
        var session = await SessionAsync(db, actor, sessionId, ct);
        if (session is null) return SessionNotFound<PostedMessage>(sessionId);
        if (session.Status == SessionStatus.Resolved) return Desk.Conflict<PostedMessage>("sessionId", "This conversation is resolved; the customer can start a new one.");
        var escalation = await Escalations.OpenAsync(db, sessionId, ct);
        if (escalation?.AssignedAgentId != actor.UserId && !(actor.IsAdmin && escalation?.AssignedAgentId is not null))
        {
            var taken = await TakeAsync(actor, sessionId, ct);
            if (taken.Status != DeskStatus.Ok) return new DeskResult<PostedMessage>(taken.Status, null, taken.Field, taken.Detail);
        }
        // The agent's display name travels with the message: customers may not read agents' accounts.
        var author = System.Text.Json.JsonSerializer.Serialize(new { agent = new { id = actor.UserId, name = await Assignments.NameAsync(db, actor.UserId, ct) } });
        var posted = await MessageLog.AppendAsync(db, sessionId, MessageTypes.Agent, content!, clientMessageId, actor.UserId, ct, author);
        if (!posted.Duplicate)
        {
            await MessageLog.PublishAsync(db, events, actor.OrganizationId, sessionId, posted.Seq, ct);
            events.Publish(new TypingChanged(actor.OrganizationId, sessionId, "agent", null, false));
        }
        return posted;
    }

    public async Task<DeskResult<NoteResponse>> AddNoteAsync(DeskActor actor, Guid sessionId, string? content, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(content)) return Desk.Invalid<NoteResponse>("content", "The note is empty.");
        if (content.Length > MaxNoteLength) return Desk.Invalid<NoteResponse>("content", $"The note is {content.Length} characters long; the limit is {MaxNoteLength}.");
        await using var db = systemDb.CreateContext();
        if (await SessionAsync(db, actor, sessionId, ct) is null) return SessionNotFound<NoteResponse>(sessionId);
        var note = new SessionNote { OrganizationId = actor.OrganizationId, SessionId = sessionId, AgentId = actor.UserId, Content = content.Trim() };
        db.SessionNotes.Add(note);
        await db.SaveChangesAsync(ct);
        var name = await Assignments.NameAsync(db, actor.UserId, ct);
        // Internal: the widget's stream drops it; the inbox shows it.
        events.Publish(new MessageCreated(actor.OrganizationId, sessionId,
            new MessageResponse(note.Id, 0, "note", note.Content, note.CreatedAt, null, actor.UserId), Internal: true));
        return new NoteResponse(note.Id, sessionId, actor.UserId, name, note.Content, note.CreatedAt);
    }

    public async Task<DeskResult<List<NoteResponse>>> NotesAsync(DeskActor actor, Guid sessionId, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        if (await SessionAsync(db, actor, sessionId, ct) is null) return SessionNotFound<List<NoteResponse>>(sessionId);
        return await db.SessionNotes.AsNoTracking().Where(n => n.SessionId == sessionId && n.OrganizationId == actor.OrganizationId)
            .OrderBy(n => n.CreatedAt)
            .Select(n => new NoteResponse(n.Id, n.SessionId, n.AgentId, db.Users.Where(u => u.Id == n.AgentId).Select(u => u.DisplayName).FirstOrDefault() ?? "", n.Content, n.CreatedAt))
            .ToListAsync(ct);
    }

    public async Task<DeskResult<bool>> TypingAsync(DeskActor actor, Guid sessionId, bool isTyping, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        if (await SessionAsync(db, actor, sessionId, ct) is null) return SessionNotFound<bool>(sessionId);
        events.Publish(new TypingChanged(actor.OrganizationId, sessionId, "agent", await Assignments.NameAsync(db, actor.UserId, ct), isTyping));
        return isTyping;
    }

    public async Task<DeskResult<bool>> ResolveAsync(DeskActor actor, Guid sessionId, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        if (await CheckHolderAsync(db, actor, sessionId, ct) is { } problem) return problem;
        return await escalations.ResolveAsync(sessionId, actor.UserId, await Assignments.NameAsync(db, actor.UserId, ct), ct) switch
        {
            EndStatus.Done => true,
            EndStatus.AlreadyResolved => Desk.Conflict<bool>("sessionId", "This conversation is already resolved."),
            _ => SessionNotFound<bool>(sessionId),
        };
    }

    public async Task<DeskResult<bool>> HandBackAsync(DeskActor actor, Guid sessionId, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        if (await CheckHolderAsync(db, actor, sessionId, ct) is { } problem) return problem;
        return await escalations.HandBackAsync(sessionId, actor.UserId, await Assignments.NameAsync(db, actor.UserId, ct), ct) switch
        {
            EndStatus.Done => true,
            EndStatus.AlreadyResolved => Desk.Conflict<bool>("sessionId", "This conversation is resolved."),
            EndStatus.NotEscalated => Desk.Conflict<bool>("sessionId", "The AI already has this conversation."),
            _ => SessionNotFound<bool>(sessionId),
        };
    }

    public async Task<DeskResult<List<EscalationRecord>>> HistoryAsync(DeskActor actor, Guid sessionId, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        if (await SessionAsync(db, actor, sessionId, ct) is null) return SessionNotFound<List<EscalationRecord>>(sessionId);
        var escalationRows = await db.Escalations.AsNoTracking().Where(e => e.SessionId == sessionId).OrderBy(e => e.EscalatedAt).ToListAsync(ct);
        var assignmentRows = await db.Assignments.AsNoTracking().Where(a => a.SessionId == sessionId).OrderBy(a => a.AssignedAt)
            .Select(a => new { a.EscalationId, Record = new AssignmentRecord(a.AgentId, db.Users.Where(u => u.Id == a.AgentId).Select(u => u.DisplayName).FirstOrDefault() ?? "",
                a.How, a.AssignedBy, a.AssignedAt, a.ReleasedAt, a.ReleaseReason) })
            .ToListAsync(ct);
        return escalationRows.Select(e => new EscalationRecord(e.Id, e.RuleId, e.RuleName, e.Reason, e.Priority, e.EscalatedAt, e.AssignedAgentId, e.AssignedAt,
            e.EndedAt, e.Outcome, [.. assignmentRows.Where(a => a.EscalationId == e.Id).Select(a => a.Record)])).ToList();
    }

    public async Task<List<AgentStatus>> AgentsAsync(Guid organizationId, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        return await db.OrganizationMembers.AsNoTracking()
            .Where(m => m.OrganizationId == organizationId && (m.Role == OrgRoles.Agent || m.Role == OrgRoles.Admin))
            .OrderBy(m => m.User!.DisplayName)
            .Select(m => new AgentStatus(m.UserId, m.User!.DisplayName, m.Role, m.Availability, m.ActiveConversations, m.MaxConcurrent, m.Skills))
            .ToListAsync(ct);
    }

    /// <summary>An agent sets their own availability; coming online takes work from the queue at once.</summary>
    public async Task<DeskResult<AgentStatus>> SetAvailabilityAsync(DeskActor actor, string? availability, CancellationToken ct)
    {
        if (availability is null || !AgentAvailability.All.Contains(availability))
        {
            return Desk.Invalid<AgentStatus>("availability", $"availability must be one of {string.Join(", ", AgentAvailability.All)}.");
        }
        await using var db = systemDb.CreateContext();
        var changed = await db.OrganizationMembers
            .Where(m => m.OrganizationId == actor.OrganizationId && m.UserId == actor.UserId && (m.Role == OrgRoles.Agent || m.Role == OrgRoles.Admin))
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Availability, availability), ct);
        if (changed == 0) return Desk.NotFound<AgentStatus>("userId", "You are not an agent of this organization.");
        if (availability == AgentAvailability.Online) queue.Poke(actor.OrganizationId);
        return (await AgentsAsync(actor.OrganizationId, ct)).Single(a => a.UserId == actor.UserId);
    }

    private static async Task<DeskResult<bool>?> CheckHolderAsync(AppDbContext db, DeskActor actor, Guid sessionId, CancellationToken ct)
    {
        var session = await SessionAsync(db, actor, sessionId, ct);
        if (session is null) return SessionNotFound<bool>(sessionId);
        var escalation = await Escalations.OpenAsync(db, sessionId, ct);
        if (escalation?.AssignedAgentId is { } holder && holder != actor.UserId && !actor.IsAdmin)
        {
            return Desk.Forbidden<bool>("Another agent has this conversation; only they or an admin can close it.");
        }
        return null;
    }

    private static async Task<bool> HasRoomAsync(AppDbContext db, Guid organizationId, Guid agentId, CancellationToken ct) =>
        await db.OrganizationMembers.AnyAsync(m => m.OrganizationId == organizationId && m.UserId == agentId
            && (m.Role == OrgRoles.Agent || m.Role == OrgRoles.Admin) && m.Availability != AgentAvailability.Offline
            && m.ActiveConversations < m.MaxConcurrent, ct);

    private sealed record SessionRow(Guid Id, string? Status);

    private static async Task<SessionRow?> SessionAsync(AppDbContext db, DeskActor actor, Guid sessionId, CancellationToken ct) =>
        await db.Sessions.AsNoTracking().Where(s => s.Id == sessionId && s.OrganizationId == actor.OrganizationId)
            .Select(s => new SessionRow(s.Id, s.Status)).SingleOrDefaultAsync(ct);

    private static DeskResult<T> SessionNotFound<T>(Guid sessionId) => Desk.NotFound<T>("sessionId", $"Session {sessionId} does not exist in this organization.");

    /// <summary>What the inbox calls the customer: name, else e-mail, else external id from the session's customer context.</summary>
    internal static string? CustomerName(string? context)
    {
        if (string.IsNullOrEmpty(context)) return null;
        try
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(context);
            return (string?)node?["name"] ?? (string?)node?["email"] ?? (string?)node?["externalId"];
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private static string? Preview(string? content) => content is null ? null : content.Length <= 140 ? content : content[..137] + "…";
}
