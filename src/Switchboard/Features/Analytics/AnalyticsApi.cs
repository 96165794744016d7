using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Organizations;
using Switchboard.Tenancy;

namespace Switchboard.Features.Analytics;

public sealed record AgentAnalyticsResponse(Guid Id, Guid AgentId, Guid? OrganizationId, DateOnly Date, int ConversationsHandled,
    decimal AvgResolutionTimeMinutes, decimal CustomerSatisfactionScore, int AiEscalationsReceived);

/// <summary>Per-agent daily figures. Admins read the whole organization; an agent reads their own rows.</summary>
public static class AnalyticsApi
{
    public static IEndpointRouteBuilder MapAnalyticsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/orgs/{orgId}/analytics").WithTags("Analytics").RequireOrgRole(OrgRoles.Agent);
        group.MapGet("/agents", Agents);
        return app;
    }

    private static async Task<Results<Ok<List<AgentAnalyticsResponse>>, ValidationProblem>> Agents(
        HttpContext http, DateOnly? from, DateOnly? to, CurrentPrincipal principal, AppDbContext db, CancellationToken ct)
    {
        if (from > to) return Problems.Invalid("from", "from must not be after to.");
        var orgId = http.OrgId();
        var query = db.AgentAnalytics.AsNoTracking().Where(a => a.OrganizationId == orgId);
        if (!principal.HasRole(orgId, OrgRoles.Admin))
        {
            query = query.Where(a => a.AgentId == principal.UserId);
        }
        if (from is not null) query = query.Where(a => a.Date >= from);
        if (to is not null) query = query.Where(a => a.Date <= to);
        var rows = await query.OrderBy(a => a.Date).ThenBy(a => a.AgentId).Take(5000)
            .Select(a => new AgentAnalyticsResponse(a.Id, a.AgentId, a.OrganizationId, a.Date, a.ConversationsHandled ?? 0,
                a.AvgResolutionTimeMinutes ?? 0, a.CustomerSatisfactionScore ?? 0, a.AiEscalationsReceived ?? 0))
            .ToListAsync(ct);
        return TypedResults.Ok(rows);
    }
}
