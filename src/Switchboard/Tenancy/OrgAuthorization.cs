using Microsoft.EntityFrameworkCore;
using Switchboard.Data;
using Switchboard.Features.Organizations;

namespace Switchboard.Tenancy;

public static class OrgAuthorization
{
    /// <summary>
    /// Guards a route group under <c>/api/orgs/{orgId}</c>: the caller must hold at least
    /// <paramref name="minimumRole"/> there. Strangers get the same 404 as an unknown organization,
    /// so nobody learns which organizations exist; members without the role get 403.
    /// </summary>
    public static TBuilder RequireOrgRole<TBuilder>(this TBuilder builder, string minimumRole)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.RequireAuthorization();
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var principal = http.RequestServices.GetRequiredService<CurrentPrincipal>();
            if (!Guid.TryParse(http.GetRouteValue("orgId") as string, out var orgId))
            {
                return Problems.NotFound("orgId", "The organization id must be a UUID.");
            }
            if (principal.RoleIn(orgId) is null)
            {
                return Problems.NotFound("orgId", $"Organization {orgId} does not exist or you are not a member of it.");
            }
            if (!principal.HasRole(orgId, minimumRole))
            {
                return Problems.Forbidden($"This needs the '{minimumRole}' role in the organization; you are '{principal.RoleIn(orgId)}'.");
            }
            return await next(context);
        });
        return builder;
    }

    public static Guid OrgId(this HttpContext http) => Guid.Parse((string)http.GetRouteValue("orgId")!);

    public static bool IsAtLeast(this string role, string minimum) => OrgRoles.Rank(role) >= OrgRoles.Rank(minimum);
}
