using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Features.Conversations;
using Switchboard.Features.Organizations;
using Switchboard.Tenancy;

namespace Switchboard.Features.Escalation;

public sealed record AssignSessionRequest(Guid? AgentId);

public sealed record AgentReplyRequest(string? ClientMessageId, string? Content);

public sealed record NoteRequest(string? Content);

public sealed record TypingRequest(bool? IsTyping);

public sealed record AvailabilityRequest(string? Availability);

/// <summary>
/// The agent inbox over HTTP (the console calls <see cref="AgentDesk"/> directly): lists, take/assign,
/// reply, internal notes, typing, resolve, hand back, escalation history, and agents' availability.
/// </summary>
public static class AgentInboxApi
{
    public static IEndpointRouteBuilder MapAgentInboxApi(this IEndpointRouteBuilder app)
    {
        var org = app.MapGroup("/api/orgs/{orgId}").WithTags("Agent inbox").RequireOrgRole(OrgRoles.Agent);
        org.MapGet("/inbox", Inbox);
        org.MapGet("/agents", Agents);
        org.MapPut("/agents/me/availability", SetAvailability);
        var session = org.MapGroup("/sessions/{sessionId:guid}");
        session.MapPost("/assign", Assign);
        session.MapPost("/replies", Reply);
        session.MapGet("/notes", Notes);
        session.MapPost("/notes", AddNote);
        session.MapPost("/typing", Typing);
        session.MapPost("/resolve", Resolve);
        session.MapPost("/handback", HandBack);
        session.MapGet("/escalations", History);
        return app;
    }

    private static DeskActor Actor(HttpContext http, CurrentPrincipal principal)
    {
        var orgId = http.OrgId();
        return new DeskActor(orgId, principal.UserId!.Value, principal.HasRole(orgId, OrgRoles.Admin));
    }

    private static async Task<Results<Ok<List<InboxItem>>, ValidationProblem, ProblemHttpResult>> Inbox(
        HttpContext http, string? view, CurrentPrincipal principal, AgentDesk desk, CancellationToken ct)
    {
        view ??= InboxViews.Mine;
        if (!InboxViews.Every.Contains(view)) return Problems.Invalid("view", $"view must be one of {string.Join(", ", InboxViews.Every)}.");
        var actor = Actor(http, principal);
        if (view == InboxViews.All && !actor.IsAdmin) return Problems.Forbidden("Only admins see every conversation; agents see the queue and their own.");
        return TypedResults.Ok(await desk.InboxAsync(actor, view, ct));
    }

    private static async Task<Ok<List<AgentStatus>>> Agents(HttpContext http, AgentDesk desk, CancellationToken ct) =>
        TypedResults.Ok(await desk.AgentsAsync(http.OrgId(), ct));

    private static async Task<Results<Ok<AgentStatus>, ValidationProblem, ProblemHttpResult>> SetAvailability(
        HttpContext http, AvailabilityRequest request, CurrentPrincipal principal, AgentDesk desk, CancellationToken ct) =>
        ToResult(await desk.SetAvailabilityAsync(Actor(http, principal), request.Availability, ct));

    private static async Task<Results<Ok<AssignResult>, ValidationProblem, ProblemHttpResult>> Assign(
        HttpContext http, Guid sessionId, AssignSessionRequest? request, CurrentPrincipal principal, AgentDesk desk, CancellationToken ct)
    {
        var actor = Actor(http, principal);
        return ToResult(await desk.AssignAsync(actor, sessionId, request?.AgentId ?? actor.UserId, ct));
    }

    private static async Task<Results<Ok<PostedMessage>, ValidationProblem, ProblemHttpResult>> Reply(
        HttpContext http, Guid sessionId, AgentReplyRequest request, CurrentPrincipal principal, AgentDesk desk, CancellationToken ct) =>
        ToResult(await desk.ReplyAsync(Actor(http, principal), sessionId, request.ClientMessageId, request.Content, ct));

    private static async Task<Results<Ok<List<NoteResponse>>, ValidationProblem, ProblemHttpResult>> Notes(
        HttpContext http, Guid sessionId, CurrentPrincipal principal, AgentDesk desk, CancellationToken ct) =>
        ToResult(await desk.NotesAsync(Actor(http, principal), sessionId, ct));

    private static async Task<Results<Ok<NoteResponse>, ValidationProblem, ProblemHttpResult>> AddNote(
        HttpContext http, Guid sessionId, NoteRequest request, CurrentPrincipal principal, AgentDesk desk, CancellationToken ct) =>
        ToResult(await desk.AddNoteAsync(Actor(http, principal), sessionId, request.Content, ct));

    private static async Task<Results<Ok<bool>, ValidationProblem, ProblemHttpResult>> Typing(
        HttpContext http, Guid sessionId, TypingRequest request, CurrentPrincipal principal, AgentDesk desk, CancellationToken ct)
    {
        if (request.IsTyping is not { } typing) return Problems.Invalid("isTyping", "isTyping is required: true or false.");
        return ToResult(await desk.TypingAsync(Actor(http, principal), sessionId, typing, ct));
    }

    private static async Task<Results<Ok<bool>, ValidationProblem, ProblemHttpResult>> Resolve(
        HttpContext http, Guid sessionId, CurrentPrincipal principal, AgentDesk desk, CancellationToken ct) =>
        ToResult(await desk.ResolveAsync(Actor(http, principal), sessionId, ct));

    private static async Task<Results<Ok<bool>, ValidationProblem, ProblemHttpResult>> HandBack(
        HttpContext http, Guid sessionId, CurrentPrincipal principal, AgentDesk desk, CancellationToken ct) =>
        ToResult(await desk.HandBackAsync(Actor(http, principal), sessionId, ct));

    private static async Task<Results<Ok<List<EscalationRecord>>, ValidationProblem, ProblemHttpResult>> History(
        HttpContext http, Guid sessionId, CurrentPrincipal principal, AgentDesk desk, CancellationToken ct) =>
        ToResult(await desk.HistoryAsync(Actor(http, principal), sessionId, ct));

    private static Results<Ok<T>, ValidationProblem, ProblemHttpResult> ToResult<T>(DeskResult<T> result) => result.Status switch
    {
        DeskStatus.Ok => TypedResults.Ok(result.Value!),
        DeskStatus.Invalid => Problems.Invalid(result.Field!, result.Detail!),
        DeskStatus.NotFound => Problems.NotFound(result.Field!, result.Detail!),
        DeskStatus.Forbidden => Problems.Forbidden(result.Detail!),
        _ => Problems.Conflict(result.Field!, result.Detail!),
    };
}
