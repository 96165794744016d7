using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Switchboard.Data;

namespace Switchboard.Tenancy;

/// <summary>
/// Fills the request's <see cref="CurrentPrincipal"/> from the database once per request, so role
/// changes and removals take effect on the next request whatever the token or cookie says.
/// </summary>
public sealed class PrincipalClaimsTransformation(CurrentPrincipal current, AppDbContext db) : IClaimsTransformation
{
    public async Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
    {
        if (current.IsAuthenticated || !Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var userId))
        {
            return principal;
        }
        var account = await db.Users.AsNoTracking()
            .Where(u => u.Id == userId)
            .Select(u => new { u.IsPlatformAdmin, u.LockoutEnd })
            .SingleOrDefaultAsync();
        if (account is null || account.LockoutEnd > DateTimeOffset.UtcNow)
        {
            return principal;
        }
        var roles = await db.OrganizationMembers.AsNoTracking()
            .Where(m => m.UserId == userId)
            .Select(m => new KeyValuePair<Guid, string>(m.OrganizationId, m.Role))
            .ToListAsync();
        current.SignIn(userId, account.IsPlatformAdmin, roles);
        return principal;
    }
}
