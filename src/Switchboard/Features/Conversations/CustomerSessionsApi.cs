using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Escalation;
using Switchboard.Tenancy;

namespace Switchboard.Features.Conversations;

/// <summary>Start a chat with an organization, named by its public widget key as in the widget.</summary>
public sealed record StartMySessionRequest(string? OrgKey);

public sealed record UpdateMySessionRequest(string? Status);

public sealed record PostMyMessageRequest(string? Content, string? MessageType, string? ClientMessageId);

/// <summary>
/// A signed-in customer's own sessions (seed: "users can manage their own sessions" and "view their
/// own conversation history"). Every query names the user, whatever else the caller may see.
/// </summary>
public static class CustomerSessionsApi
{
    public static IEndpointRouteBuilder MapCustomerSessionsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/me/sessions").WithTags("My sessions").RequireAuthorization();
        group.MapPost("/", Start);
        group.MapGet("/", List);
        group.MapGet("/{sessionId:guid}", Get);
        group.MapPatch("/{sessionId:guid}", Update);
        group.MapGet("/{sessionId:guid}/messages", Messages);
        group.MapPost("/{sessionId:guid}/messages", Post);
        return app;
    }

    private static async Task<Results<Created<SessionResponse>, ValidationProblem, ProblemHttpResult>> Start(
        StartMySessionRequest request, CurrentPrincipal principal, AppDbContext db, SystemDb systemDb, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.OrgKey)) return Problems.Invalid("orgKey", "orgKey is required: the organization's public widget key.");
        if (await systemDb.OrganizationByWidgetKeyAsync(request.OrgKey, ct) is not { } org)
        {
            return Problems.NotFound("orgKey", "No organization has this widget key.");
        }
        var orgId = org.Id;
        var session = new ChatbotSession { OrganizationId = orgId, UserId = principal.UserId, SessionToken = ChatbotSession.NewToken() };
        db.Sessions.Add(session);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/me/sessions/{session.Id}", SessionResponse.From(session));
    }

    private static async Task<Ok<List<SessionResponse>>> List(CurrentPrincipal principal, AppDbContext db, CancellationToken ct)
    {
        var sessions = await Mine(db, principal).OrderByDescending(s => s.CreatedAt).Take(200).ToListAsync(ct);
        return TypedResults.Ok(sessions.Select(SessionResponse.From).ToList());
    }

    private static async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> Get(Guid sessionId, CurrentPrincipal principal, AppDbContext db, CancellationToken ct) =>
        await Mine(db, principal).SingleOrDefaultAsync(s => s.Id == sessionId, ct) is { } session
            ? TypedResults.Ok(SessionResponse.From(session))
            : SessionNotFound(sessionId);

    private static async Task<Results<Ok<SessionResponse>, ValidationProblem, ProblemHttpResult>> Update(
        Guid sessionId, UpdateMySessionRequest request, CurrentPrincipal principal, AppDbContext db, Escalations escalations, CancellationToken ct)
    {
        if (request.Status is null || !SessionStatus.All.Contains(request.Status))
        {
            return Problems.Invalid("status", $"status must be one of {string.Join(", ", SessionStatus.All)}.");
        }
        var session = await Mine(db, principal).AsNoTracking().SingleOrDefaultAsync(s => s.Id == sessionId, ct);
        if (session is null) return SessionNotFound(sessionId);
        if (request.Status == session.Status) return TypedResults.Ok(SessionResponse.From(session));
        // Customers ask for a person, close their chat or reopen it; only an agent gives an escalated chat back to the AI.
        switch (request.Status)
        {
            case SessionStatus.Resolved:
                await escalations.ResolveAsync(session.Id, null, "", ct);
                break;
            case SessionStatus.Active when session.Status == SessionStatus.Resolved:
                await escalations.ReopenAsync(session.Id, ct);
                break;
            case SessionStatus.Escalated:
                if (session.Status == SessionStatus.Resolved) await escalations.ReopenAsync(session.Id, ct);
                await escalations.CustomerAskedAsync(session.OrganizationId, session.Id, ct);
                break;
            default:
                return Problems.Conflict("status", "Only an agent hands an escalated conversation back to the AI.");
        }
        var updated = await Mine(db, principal).AsNoTracking().SingleAsync(s => s.Id == sessionId, ct);
        return TypedResults.Ok(SessionResponse.From(updated));
    }

    private static async Task<Results<Ok<List<MessageResponse>>, ProblemHttpResult>> Messages(
        Guid sessionId, long? after, CurrentPrincipal principal, AppDbContext db, CancellationToken ct)
    {
        if (!await Mine(db, principal).AnyAsync(s => s.Id == sessionId, ct)) return SessionNotFound(sessionId);
        return TypedResults.Ok(await MessageLog.ListAsync(db, sessionId, after ?? 0, ct));
    }

    private static async Task<Results<Created<PostedMessage>, Ok<PostedMessage>, ValidationProblem, ProblemHttpResult>> Post(
        Guid sessionId, PostMyMessageRequest request, CurrentPrincipal principal, AppDbContext db, CustomerMessages accepted, CancellationToken ct)
    {
        var errors = MessageLog.Validate(request.Content, request.ClientMessageId);
        var type = request.MessageType ?? MessageTypes.User;
        if (!MessageTypes.All.Contains(type)) errors["messageType"] = [$"messageType must be one of {string.Join(", ", MessageTypes.All)}."];
        else if (type != MessageTypes.User) errors["messageType"] = ["Customers post 'user' messages; 'ai', 'agent' and 'system' messages come from Switchboard and agents."];
        if (errors.Count > 0) return Problems.Invalid(errors);
        var organizationId = await Mine(db, principal).Where(s => s.Id == sessionId).Select(s => (Guid?)s.OrganizationId).SingleOrDefaultAsync(ct);
        if (organizationId is null) return SessionNotFound(sessionId);
        var posted = await MessageLog.AppendAsync(db, sessionId, MessageTypes.User, request.Content!, request.ClientMessageId, null, ct);
        if (!posted.Duplicate)
        {
            await accepted.AcceptedAsync(db, organizationId.Value, sessionId, posted.Seq, ct);
        }
        return posted.Duplicate ? TypedResults.Ok(posted) : TypedResults.Created($"/api/me/sessions/{sessionId}/messages", posted);
    }

    // Own sessions only: agents see more through RLS and the query filter, but not here.
    private static IQueryable<ChatbotSession> Mine(AppDbContext db, CurrentPrincipal principal) =>
        db.Sessions.Where(s => s.UserId == principal.UserId);

    private static ProblemHttpResult SessionNotFound(Guid id) => Problems.NotFound("sessionId", $"You have no session {id}.");
}
