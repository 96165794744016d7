using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Organizations;
using Switchboard.Tenancy;

namespace Switchboard.Features.Conversations;

/// <summary>Agents view their organization's sessions and conversations (seed: agents can view).</summary>
public static class AgentSessionsApi
{
    public static IEndpointRouteBuilder MapAgentSessionsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgId}/sessions").WithTags("Sessions").RequireOrgRole(OrgRoles.Agent);
        group.MapGet("/", List);
        group.MapGet("/{sessionId:guid}", Get);
        group.MapGet("/{sessionId:guid}/messages", Messages);
        return app;
    }

    private static async Task<Results<Ok<List<SessionResponse>>, ValidationProblem>> List(HttpContext http, string? status, AppDbContext db, CancellationToken ct)
    {
        if (status is not null && !SessionStatus.All.Contains(status))
        {
            return Problems.Invalid("status", $"status must be one of {string.Join(", ", SessionStatus.All)}.");
        }
        var orgId = http.OrgId();
        var sessions = await db.Sessions.AsNoTracking()
            .Where(s => s.OrganizationId == orgId && (status == null || s.Status == status))
            .OrderByDescending(s => s.UpdatedAt).Take(200).ToListAsync(ct);
        return TypedResults.Ok(sessions.Select(SessionResponse.From).ToList());
    }

    private static async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> Get(HttpContext http, Guid sessionId, AppDbContext db, CancellationToken ct)
    {
        var orgId = http.OrgId();
        return await db.Sessions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == sessionId && s.OrganizationId == orgId, ct) is { } session
            ? TypedResults.Ok(SessionResponse.From(session))
            : Problems.NotFound("sessionId", $"Session {sessionId} does not exist in this organization.");
    }

    private static async Task<Results<Ok<List<MessageResponse>>, ProblemHttpResult>> Messages(HttpContext http, Guid sessionId, long? after, AppDbContext db, CancellationToken ct)
    {
        var orgId = http.OrgId();
        if (!await db.Sessions.AnyAsync(s => s.Id == sessionId && s.OrganizationId == orgId, ct))
        {
            return Problems.NotFound("sessionId", $"Session {sessionId} does not exist in this organization.");
        }
        return TypedResults.Ok(await MessageLog.ListAsync(db, sessionId, after ?? 0, ct));
    }
}
