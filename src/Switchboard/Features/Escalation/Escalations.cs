using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Conversations;
using Switchboard.Features.Knowledge;

namespace Switchboard.Features.Escalation;

/// <summary>Why a session leaves the AI: the rule that fired (or none), the reason, its urgency and whom it may go to.</summary>
public sealed record EscalationRequest(Guid? RuleId, string? RuleName, string Reason, int Priority, string AssignmentLogic, string Trigger)
{
    /// <summary>The customer asked in the widget (button) or set their session to escalated.</summary>
    public static EscalationRequest CustomerAsked(EscalationRule? rule) => rule is null
        ? new(null, null, "The customer asked for a person.", 3, "{}", EscalationTriggers.Customer)
        : new(rule.Id, rule.RuleName, "The customer asked for a person.", rule.PriorityLevel ?? 1, rule.AgentAssignmentLogic ?? "{}", EscalationTriggers.Customer);

    /// <summary>An agent took a conversation the AI was handling.</summary>
    public static EscalationRequest AgentTookOver(string agentName) =>
        new(null, null, $"{agentName} took over the conversation.", 3, "{}", EscalationTriggers.Agent);
}

public static class EscalationTriggers
{
    public const string Rule = "rule";
    public const string Customer = "customer";
    public const string Agent = "agent";
}

public enum EscalateStatus { Escalated, AlreadyEscalated, NotActive }

public sealed record EscalateResult(EscalateStatus Status, Guid? EscalationId, AssignResult? Assignment);

public enum EndStatus { Done, NotFound, NotEscalated, AlreadyResolved }

/// <summary>
/// A session's way out of the AI and back: escalation (status, the customer's system message with the
/// rule and reason in ai_metadata, the article outcomes, the first assignment attempt), resolution and
/// hand-back (freeing the agent's capacity for the queue).
/// </summary>
public sealed class Escalations(SystemDb systemDb, IEventBus events, Assignments assignments, QueueSignal queue, ArticleOutcomes outcomes,
    ILogger<Escalations> logger, TimeProvider clock, Analytics.AgentAnalyticsUpdater analytics)
{
    public const string EscalatedText = "I'm connecting you with a person from our team. An agent will join this chat shortly; I'll stay quiet until then.";

    public async Task<EscalateResult> EscalateAsync(Guid sessionId, EscalationRequest request, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var session = await db.Sessions.AsNoTracking().Where(s => s.Id == sessionId).Select(s => new { s.OrganizationId, s.Status }).SingleOrDefaultAsync(ct);
        if (session is null || session.Status == SessionStatus.Resolved) return new EscalateResult(EscalateStatus.NotActive, null, null);

        var escalation = new SessionEscalation
        {
            OrganizationId = session.OrganizationId, SessionId = sessionId, RuleId = request.RuleId, RuleName = request.RuleName,
            Reason = request.Reason, Priority = Math.Clamp(request.Priority, 1, 5), AssignmentLogic = request.AssignmentLogic, Trigger = request.Trigger,
            EscalatedAt = clock.GetUtcNow(),
        };
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            // One statement decides who escalates: two triggers (or nodes) at once make one escalation.
            var changed = await db.Sessions.Where(s => s.Id == sessionId && s.Status == SessionStatus.Active)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, SessionStatus.Escalated).SetProperty(x => x.UpdatedAt, DateTimeOffset.UtcNow), ct);
            if (changed == 0)
            {
                var open = await db.Escalations.AsNoTracking().Where(e => e.SessionId == sessionId && e.EndedAt == null).Select(e => (Guid?)e.Id).FirstOrDefaultAsync(ct);
                if (open is not null) return new EscalateResult(EscalateStatus.AlreadyEscalated, open, null);
                // Escalated before escalations were recorded (or by an older path): record this one.
            }
            db.Escalations.Add(escalation);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }

        // Idempotent, so a repeated escalation also repairs one whose outcome write failed.
        await outcomes.SessionEscalatedAsync(sessionId, ct);
        var metadata = JsonSerializer.Serialize(new
        {
            escalation = new
            {
                id = escalation.Id,
                rule = request.RuleId is null ? null : new { id = request.RuleId, name = request.RuleName, priority = escalation.Priority },
                reason = request.Reason,
                trigger = request.Trigger,
                priority = escalation.Priority,
            },
        }, AiJson);
        var posted = await MessageLog.AppendAsync(db, sessionId, MessageTypes.System, EscalatedText, $"escalation:{escalation.Id}", null, ct, metadata);
        // The status event after the message is stored: whoever reacts to it (webhooks) finds the reason.
        events.Publish(new StatusChanged(session.OrganizationId, sessionId, SessionStatus.Escalated));
        await MessageLog.PublishAsync(db, events, session.OrganizationId, sessionId, posted.Seq, ct);
        logger.LogInformation("Session {Session} escalated ({Trigger}, rule {Rule}): {Reason}", sessionId, request.Trigger, request.RuleName, request.Reason);
        await db.DisposeAsync(); // one connection at a time per escalation: assignment opens its own

        var assignment = await assignments.AssignAsync(escalation.Id, ct);
        return new EscalateResult(EscalateStatus.Escalated, escalation.Id, assignment);
    }

    /// <summary>
    /// The customer asked for a person (widget button, or their session set to escalated): escalates the session
    /// by the rule such requests follow (<see cref="CustomerRequestRuleAsync"/>).
    /// </summary>
    public async Task<EscalateResult> CustomerAskedAsync(Guid organizationId, Guid sessionId, CancellationToken ct)
    {
        var rule = await CustomerRequestRuleAsync(organizationId, ct);
        return await EscalateAsync(sessionId, EscalationRequest.CustomerAsked(rule), ct);
    }

    /// <summary>
    /// The rule a customer's own request for a person follows (its priority and assignment): the most urgent
    /// active rule with <c>explicit_human_request</c>, or none (priority 3, round robin, queue).
    /// </summary>
    public async Task<EscalationRule?> CustomerRequestRuleAsync(Guid organizationId, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var rules = await db.EscalationRules.AsNoTracking().Where(r => r.OrganizationId == organizationId && r.IsActive == true)
            .OrderByDescending(r => r.PriorityLevel).ThenBy(r => r.CreatedAt).ToListAsync(ct);
        return rules.FirstOrDefault(AsksForHumans);
    }

    /// <summary>True when the rule has <c>explicit_human_request</c> (true or a threshold); a rule whose JSON does not parse never does.</summary>
    internal static bool AsksForHumans(EscalationRule rule) =>
        EscalationRuleDefinition.TryParse(rule, out var definition) && definition!.Conditions.HumanRequestThreshold is not null;

    /// <summary>The open escalation of a session, if any.</summary>
    public static async Task<SessionEscalation?> OpenAsync(AppDbContext db, Guid sessionId, CancellationToken ct) =>
        await db.Escalations.AsNoTracking().SingleOrDefaultAsync(e => e.SessionId == sessionId && e.EndedAt == null, ct);

    /// <summary>Marks the session resolved, ends its escalation and frees the agent. <paramref name="by"/>: the agent, or null for the customer.</summary>
    public async Task<EndStatus> ResolveAsync(Guid sessionId, Guid? by, string byName, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var session = await db.Sessions.AsNoTracking().Where(s => s.Id == sessionId).Select(s => new { s.OrganizationId, s.Status }).SingleOrDefaultAsync(ct);
        if (session is null) return EndStatus.NotFound;
        var changed = await db.Sessions.Where(s => s.Id == sessionId && s.Status != SessionStatus.Resolved)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, SessionStatus.Resolved).SetProperty(x => x.UpdatedAt, DateTimeOffset.UtcNow), ct);
        await outcomes.SessionResolvedAsync(sessionId, ct);
        if (changed == 0) return EndStatus.AlreadyResolved;
        await EndEscalationAsync(db, session.OrganizationId, sessionId, EscalationOutcomes.Resolved, by, ct);
        events.Publish(new StatusChanged(session.OrganizationId, sessionId, SessionStatus.Resolved));
        var text = by is null ? "This conversation is resolved." : $"{byName} marked this conversation as resolved.";
        var posted = await MessageLog.AppendAsync(db, sessionId, MessageTypes.System, text, null, null, ct,
            JsonSerializer.Serialize(new { resolution = new { by, name = by is null ? null : byName } }, AiJson));
        await MessageLog.PublishAsync(db, events, session.OrganizationId, sessionId, posted.Seq, ct);
        return EndStatus.Done;
    }

    /// <summary>The customer reopens their resolved chat: the AI answers it again.</summary>
    public async Task ReopenAsync(Guid sessionId, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var organizationId = await db.Sessions.Where(s => s.Id == sessionId).Select(s => s.OrganizationId).SingleAsync(ct);
        if (await db.Sessions.Where(s => s.Id == sessionId && s.Status == SessionStatus.Resolved)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, SessionStatus.Active).SetProperty(x => x.UpdatedAt, DateTimeOffset.UtcNow), ct) > 0)
        {
            events.Publish(new StatusChanged(organizationId, sessionId, SessionStatus.Active));
        }
    }

    /// <summary>Gives an escalated conversation back to the AI: it answers the customer's next message again.</summary>
    public async Task<EndStatus> HandBackAsync(Guid sessionId, Guid by, string byName, CancellationToken ct)
    {
        await using var db = systemDb.CreateContext();
        var session = await db.Sessions.AsNoTracking().Where(s => s.Id == sessionId).Select(s => new { s.OrganizationId, s.Status }).SingleOrDefaultAsync(ct);
        if (session is null) return EndStatus.NotFound;
        var changed = await db.Sessions.Where(s => s.Id == sessionId && s.Status == SessionStatus.Escalated)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, SessionStatus.Active).SetProperty(x => x.UpdatedAt, DateTimeOffset.UtcNow), ct);
        if (changed == 0) return session.Status == SessionStatus.Resolved ? EndStatus.AlreadyResolved : EndStatus.NotEscalated;
        await EndEscalationAsync(db, session.OrganizationId, sessionId, EscalationOutcomes.HandedBack, by, ct);
        events.Publish(new StatusChanged(session.OrganizationId, sessionId, SessionStatus.Active));
        events.Publish(new SessionAssigned(session.OrganizationId, sessionId, null, null));
        var posted = await MessageLog.AppendAsync(db, sessionId, MessageTypes.System,
            $"{byName} handed this conversation back to our AI assistant. Ask anything, or ask for a person again at any time.", null, null, ct,
            JsonSerializer.Serialize(new { handback = new { by, name = byName } }, AiJson));
        await MessageLog.PublishAsync(db, events, session.OrganizationId, sessionId, posted.Seq, ct);
        return EndStatus.Done;
    }

    private async Task EndEscalationAsync(AppDbContext db, Guid organizationId, Guid sessionId, string outcome, Guid? by, CancellationToken ct)
    {
        var escalation = await db.Escalations.AsNoTracking().SingleOrDefaultAsync(e => e.SessionId == sessionId && e.EndedAt == null, ct);
        if (escalation is null) return;
        var now = clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var ended = await db.Escalations.Where(e => e.Id == escalation.Id && e.EndedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.EndedAt, now).SetProperty(e => e.Outcome, outcome).SetProperty(e => e.EndedBy, by), ct);
        if (ended == 1)
        {
            await assignments.ReleaseAsync(db, escalation, outcome, ct, now);
        }
        await tx.CommitAsync(ct);
        analytics.Changed(sessionId); // after the commit: agent_analytics is recomputed in the background
        if (escalation.AssignedAgentId is not null) queue.Poke(organizationId);
    }

    private static readonly JsonSerializerOptions AiJson = new(JsonSerializerDefaults.Web);
}
