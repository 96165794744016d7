using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Data;

namespace Switchboard.Tenancy;

/// <summary>
/// Fills the request's <see cref="CurrentPrincipal"/> from the database once per request, so role
/// changes and removals take effect on the next request whatever the token or cookie says. It reads
/// on the trusted path: the principal is what the request-path policies need, so it cannot depend on them.
/// </summary>
public sealed class PrincipalClaimsTransformation(CurrentPrincipal current, SystemDb systemDb, IOptions<IdentityOptions> identity) : IClaimsTransformation
{
    private string SecurityStampClaim => identity.Value.ClaimsIdentity.SecurityStampClaimType;

    public async Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
    {
        if (current.IsAuthenticated || !Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var userId))
        {
            return principal;
        }
        await using var db = systemDb.CreateContext();
        var account = await db.Users.AsNoTracking()
            .Where(u => u.Id == userId)
            .Select(u => new { u.IsPlatformAdmin, u.LockoutEnd, u.SecurityStamp })
            .SingleOrDefaultAsync();
        var stamp = principal.FindFirstValue(SecurityStampClaim);
        if (account is null || account.LockoutEnd > DateTimeOffset.UtcNow || (stamp is not null && stamp != account.SecurityStamp))
        {
            // A token outlives a deleted or locked account and a changed password (which changes the
            // security stamp): treat its bearer as signed out.
            return new ClaimsPrincipal(new ClaimsIdentity());
        }
        var roles = await db.OrganizationMembers.AsNoTracking()
            .Where(m => m.UserId == userId)
            .Select(m => new KeyValuePair<Guid, string>(m.OrganizationId, m.Role))
            .ToListAsync();
        current.SignIn(userId, account.IsPlatformAdmin, roles);
        return principal;
    }
}
